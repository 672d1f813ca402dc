#pragma once
// `amnl run` (and later `amnl status`, `amnl report`). The trainer comes in as a JobRunnerFn so
// that this library has no torch; app/main.cc binds the real one.
#include "common/job.h"

namespace CLI { class App; }
namespace amnl {
// Callbacks store their exit status in `exit_code`.
void add_orchestrator_commands(CLI::App& app, int& exit_code, JobRunnerFn runner);
}  // namespace amnl
