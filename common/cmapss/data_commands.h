#pragma once
namespace CLI { class App; }
namespace amnl {
// `amnl data inspect` and `amnl synth`. Callbacks store their exit status in `exit_code`.
void add_data_commands(CLI::App& app, int& exit_code);
}  // namespace amnl
