#pragma once
namespace CLI { class App; }
namespace amnl {
// `amnl train`, `amnl predict`, `amnl evaluate`, `amnl export`. Callbacks store their exit status in `exit_code`.
void add_worker_commands(CLI::App& app, int& exit_code);
}  // namespace amnl
