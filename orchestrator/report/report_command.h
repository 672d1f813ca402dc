#pragma once
// `amnl report RUN_DIR [--out DIR] [--compare RUN_B] [--gnuplot PATH]`: writes the results
// report (report.h) and prints the per-dataset table and the path of report.html. Exit status 0,
// or 2 when RUN_DIR is not a run dir or the output cannot be written.
#include <CLI/CLI.hpp>

namespace amnl::orch {

void add_report_command(CLI::App& app, int& exit_code);

}  // namespace amnl::orch
