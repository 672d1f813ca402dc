#pragma once
// The results report of a run (../shared/spec/system.md, "Results report"): per seed and per
// dataset statistics, the published reference figures and a constant baseline, learning-curve
// and per-seed plots, in results.json + per_seed.csv (machines), report.md + report.html (people)
// and plots/*.png, written into <run_dir>/results/ by default. It only reads the run dir (no lock,
// no ledger rewrite), so it can run at any time, also while `amnl run` is live.
#include <string>
#include <vector>

#include "common/status.h"
#include "common/storage.h"

namespace amnl::orch {

struct ReportOptions {
  // The gnuplot executable (a name looked up in PATH, or a path). "" means $AMNL_GNUPLOT when
  // set, else "gnuplot". A missing one leaves the plots out, and the report says so.
  std::string gnuplot;
  // Another run dir to compare with (Welch and paired t-tests per dataset); "" for none.
  std::string compare_run_dir;
};

struct ReportSummary {
  std::string out_dir;
  std::vector<std::string> files;     // every file written, absolute or as given
  std::vector<std::string> warnings;  // problems found (also in the report itself)
  bool plots = false;                 // the PNGs were rendered
  std::string per_dataset_table;      // the per-dataset table as plain text, for a terminal
  std::string comparison_table;       // the --compare table as plain text ("" without one)
};

// <run_dir>/results
std::string default_report_dir(const std::string& run_dir);

// Writes the report of `run_dir` into `out_dir` (created). Errors only when `run_dir` is not a
// run dir or `out_dir` cannot be written; problems with single files are listed in the report.
Result<ReportSummary> write_report(Storage& storage, const std::string& run_dir, const std::string& out_dir,
                                   const ReportOptions& options = {});

}  // namespace amnl::orch
