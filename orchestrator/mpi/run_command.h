#pragma once
#include "common/job.h"

namespace CLI { class App; }
namespace amnl::orch {
// `mpirun [--enable-recovery] -np N amnl run EXPERIMENT.json`: rank 0 coordinates, ranks 1..N-1
// train. MPI is initialised here only, so other subcommands work without mpirun.
void add_run_command(CLI::App& app, int& exit_code, JobRunnerFn runner);
}  // namespace amnl::orch
