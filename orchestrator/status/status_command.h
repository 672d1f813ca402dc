#pragma once
// `amnl status RUN_DIR [--json] [--watch SECONDS]`: what a run is doing or did, read from its run
// dir (never changed). Exit status 0, or 2 when RUN_DIR is not a run dir.
#include <CLI/CLI.hpp>

namespace amnl::orch {

void add_status_command(CLI::App& app, int& exit_code);

}  // namespace amnl::orch
