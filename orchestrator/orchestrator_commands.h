#pragma once
namespace CLI { class App; }
namespace amnl {
class JobRunnerFactory;
// `amnl run`, `amnl status`, `amnl report`. Callbacks store their exit status in `exit_code`.
void add_orchestrator_commands(CLI::App& app, int& exit_code);
}  // namespace amnl
