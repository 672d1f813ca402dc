#pragma once
// `amnl report RUN_A --compare RUN_B`: per dataset, the difference of mean test RMSE (A - B)
// with Welch's t-test, and a paired t-test over the seeds done in both runs.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orchestrator/report/report_collect.h"
#include "orchestrator/report/report_stats.h"

namespace amnl::orch {

struct DatasetComparison {
  std::string dataset;
  SampleSummary a, b;
  TTestResult welch;
  TTestResult paired;
  std::vector<int64_t> paired_seeds;  // seeds done in both runs
  // Set when A's and B's seeds trained on different data files (their data_crc32 differ): the
  // difference then is not the recipes' alone. "" when the same, or not recorded.
  std::string different_data;
  // The ensembles of the seeds (report_ensemble.h): their RMSE in A and B and a paired t-test
  // over the test units of the squared errors (A - B), which says whether one ensemble is better
  // on these units. `ensemble_test.why_not` when either has no ensemble or the units differ.
  int ensemble_n_a = 0, ensemble_n_b = 0;  // seeds in each ensemble (0: none)
  double ensemble_rmse_a = 0, ensemble_rmse_b = 0;
  TTestResult ensemble_test;
};

struct RunComparison {
  std::string run_a, run_b;
  std::vector<DatasetComparison> datasets;  // datasets of A, then those only in B
};

RunComparison compare_runs(const RunResults& a, const RunResults& b);
nlohmann::json comparison_json(const RunComparison& c);
std::string comparison_markdown(const RunComparison& c);
std::string comparison_text(const RunComparison& c);  // for the terminal

}  // namespace amnl::orch
