#include "orchestrator/orchestrator_commands.h"

#include "orchestrator/run_command.h"

namespace amnl {

void add_orchestrator_commands(CLI::App& app, int& exit_code, JobRunnerFn runner) {
  orch::add_run_command(app, exit_code, std::move(runner));
}

}  // namespace amnl
