#include "worker/worker_commands.h"

#include <CLI/CLI.hpp>

namespace amnl {

void add_worker_commands(CLI::App& app, int& exit_code) {
  (void)app;
  (void)exit_code;
}

}  // namespace amnl
