#include "orchestrator/orchestrator_commands.h"

#include "orchestrator/report/report_command.h"
#include "orchestrator/mpi/run_command.h"
#include "orchestrator/status/status_command.h"

namespace amnl {

void add_orchestrator_commands(CLI::App& app, int& exit_code, JobRunnerFn runner) {
  orch::add_run_command(app, exit_code, std::move(runner));
  orch::add_status_command(app, exit_code);
  orch::add_report_command(app, exit_code);
}

}  // namespace amnl
