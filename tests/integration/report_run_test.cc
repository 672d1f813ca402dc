// The report of a real run: `mpirun amnl run` trains 1 dataset x 2 seeds (tiny preset), then
// `amnl report` reads the run dir. Checks what only a real trainer produces: test_predictions.csv
// per job, history files, metrics read back, and every output file in results/.
#include <gtest/gtest.h>

#include <sstream>

#include "integration/orch_helpers.h"

namespace amnl::test {
namespace {

using nlohmann::json;

TEST(ReportRun, ReportOfARealRunListsEverySeedWithPlotsAndPredictions) {
  TempDir dir;
  make_orch_data(dir / "data");
  const std::string experiment = write_orch_experiment(dir, {"A"}, {1, 2});
  ASSERT_EQ(run_orch(experiment, true, dir / "mpirun.log"), 0) << read_file(dir / "mpirun.log");
  const std::string run = dir / "run";

  // The trainer's per-unit predictions: header and one row per test unit of data set A.
  const std::string csv = read_file(run + "/jobs/A/seed_1/test_predictions.csv");
  std::istringstream lines(csv);
  std::string header, line;
  std::getline(lines, header);
  EXPECT_EQ(header, "unit,true_rul,predicted_rul,health_true,health_predicted");
  int rows = 0;
  while (std::getline(lines, line)) rows += line.empty() ? 0 : 1;
  const json metrics = read_json(run + "/jobs/A/seed_1/metrics.json");
  EXPECT_EQ(rows, metrics["test_units"].get<int>());

  const auto report = run_command({amnl_binary(), "report", run});
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(report.output.find("A                2/2"), std::string::npos) << report.output;
  EXPECT_NE(report.output.find(run + "/results/report.html"), std::string::npos) << report.output;
  const json results = read_json(run + "/results/results.json");
  ASSERT_EQ(results["seeds"].size(), 2u);
  for (const json& s : results["seeds"]) {
    EXPECT_EQ(s["state"], "done") << s.dump();
    EXPECT_EQ(s["metrics_source"], "metrics.json") << s.dump();
    EXPECT_EQ(s["problems"].size(), 0u) << s.dump();
    EXPECT_GT(s["history_epochs"].get<int>(), 0);
    EXPECT_EQ(s["test_predictions"], metrics["test_units"]);
  }
  EXPECT_NEAR(results["seeds"][0]["test_rmse"].get<double>(), metrics["test_rmse"].get<double>(), 1e-12);
  EXPECT_EQ(results["datasets"][0]["done"], 2);
  EXPECT_TRUE(results["datasets"][0]["baseline"]["test_rmse"].is_number()) << results["datasets"][0].dump();
  EXPECT_EQ(results["run_state"], "complete");
  for (const char* f : {"per_seed.csv", "report.md", "report.html"})
    EXPECT_FALSE(read_file(run + "/results/" + f).empty()) << f;
  if (run_command({"sh", "-c", "command -v gnuplot"}).exit_code == 0)
    EXPECT_TRUE(results["plots"]["rendered"]) << results["plots"].dump();
  else
    std::printf("gnuplot not installed: plots of the real run not checked\n");
}

}  // namespace
}  // namespace amnl::test
