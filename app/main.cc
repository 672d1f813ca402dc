// amnl: one executable, subcommands registered by each library.
#include <CLI/CLI.hpp>

#include "common/cmapss/data_commands.h"
#include "common/exit_codes.h"
#include "common/version.h"
#include "orchestrator/orchestrator_commands.h"
#include "worker/job_runner.h"
#include "worker/worker_commands.h"

namespace {

// The orchestrator runs each job through this; the trainer is always linked into amnl.
amnl::JobRunnerFn trainer() {
  return [](const amnl::JobRequest& req, const amnl::JobCallbacks& cb) { return amnl::run_training_job(req, cb); };
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"amnl: distributed multi-seed training of the AMNL model on C-MAPSS"};
  app.set_version_flag("--version", std::string("amnl ") + amnl::kVersion);
  app.require_subcommand(1);
  int exit_code = 0;
  amnl::add_data_commands(app, exit_code);
  amnl::add_worker_commands(app, exit_code);
  amnl::add_orchestrator_commands(app, exit_code, trainer());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every other command-line error is a usage error (exit 2).
    return app.exit(e) == 0 ? 0 : amnl::kExitUsage;
  }
  return exit_code;
}
