#include "orchestrator/orchestrator_commands.h"

#include <CLI/CLI.hpp>

namespace amnl {

void add_orchestrator_commands(CLI::App& app, int& exit_code) {
  (void)app;
  (void)exit_code;
}

}  // namespace amnl
