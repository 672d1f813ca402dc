// The ensemble of the seeds in the results report (issue 26): recomputed here from the per-seed
// predictions the test writes, a failed seed left out and named, identical seeds equal to one,
// the gain table, the validation protocol stated, and --compare between two runs' ensembles.
#include <gtest/gtest.h>

#include <cmath>

#include "common/storage.h"
#include "orchestrator/report/report.h"
#include "report_fixture.h"

namespace amnl::orch {
namespace {

using nlohmann::json;
using test::read_file;
using test::ReportRunDir;

const std::vector<double> kTruth = {14, 28, 42, 56, 70, 84, 98, 112};

// Seed s predicts truth + its own error pattern, so the seeds differ and their mean is better.
double predicted(int seed, size_t u) { return kTruth[u] + ((static_cast<int>(u) * 7 + seed * 5) % 11) - 5.0; }

// Seed `seed`'s test_predictions.csv with the predictions of pattern `as` (default: its own).
void write_predictions(ReportRunDir& r, const std::string& ds, int seed, size_t units = kTruth.size(), int as = 0) {
  std::string csv = "unit,true_rul,predicted_rul,health_true,health_predicted\n";
  for (size_t u = 0; u < units; ++u)
    csv += std::to_string(u + 1) + "," + std::to_string(kTruth[u]) + "," +
           std::to_string(predicted(as ? as : seed, u)) + ",1,1\n";
  r.job_file(ds, seed, "test_predictions.csv", csv);
}

double rmse(const std::vector<double>& p) {
  double s = 0;
  for (size_t u = 0; u < p.size(); ++u) s += (p[u] - kTruth[u]) * (p[u] - kTruth[u]);
  return std::sqrt(s / static_cast<double>(p.size()));
}


class ReportEnsemble : public ::testing::Test {
 protected:
  // FD001: seeds 1-3 done with distinct predictions, seed 4 failed; SAME: two identical seeds.
  void SetUp() override {
    r.experiment({"FD001", "SAME"}, {1, 2, 3, 4});
    for (int s = 1; s <= 3; ++s) {
      r.done_job("FD001", s, 10.0 + s);
      write_predictions(r, "FD001", s);
    }
    r.record({{"event", "assigned"}, {"job", "FD001-s4"}, {"attempt", 1}, {"rank", 2}});
    r.record({{"event", "failed"}, {"job", "FD001-s4"}, {"attempt", 1}, {"failures", 3}, {"reason", "NaN loss at epoch 2"}});
    for (int s = 1; s <= 2; ++s) {
      r.done_job("SAME", s, 10.0);
      write_predictions(r, "SAME", s, kTruth.size(), 1);  // both seeds predict what seed 1 of FD001 does
    }
  }
  json write(const std::string& run_dir, const std::string& compare = "") {
    ReportOptions o{"/nonexistent/gnuplot", compare};
    auto summary = write_report(*storage, run_dir, run_dir + "/results", o);
    EXPECT_TRUE(summary.ok()) << summary.message();
    return json::parse(read_file(run_dir + "/results/results.json"));
  }
  ReportRunDir r;
  std::shared_ptr<Storage> storage = make_posix_storage();
};

TEST_F(ReportEnsemble, TheEnsembleRmseIsThatOfTheSeedsMeanPredictionAndAFailedSeedIsNamed) {
  const json e = test::dataset_of(write(r.run_dir), "FD001")["ensemble"];
  ASSERT_TRUE(e["available"]) << e.dump();
  EXPECT_EQ(e["n"], 3);
  EXPECT_EQ(e["seeds"], json({1, 2, 3}));
  ASSERT_EQ(e["left_out"].size(), 1u);
  const std::string left = e["left_out"][0];
  EXPECT_EQ(left.rfind("FD001-s4: failed: ", 0), 0u) << left;
  EXPECT_NE(left.find("NaN loss at epoch 2"), std::string::npos) << left;
  std::vector<double> mean(kTruth.size());
  for (size_t u = 0; u < kTruth.size(); ++u) {
    double sum = 0, ss = 0;
    for (int s = 1; s <= 3; ++s) sum += predicted(s, u);
    mean[u] = sum / 3;
    for (int s = 1; s <= 3; ++s) ss += (predicted(s, u) - mean[u]) * (predicted(s, u) - mean[u]);
    const json& unit = e["units"][u];
    EXPECT_EQ(unit["unit"], static_cast<int>(u) + 1);
    for (int s = 1; s <= 3; ++s) EXPECT_DOUBLE_EQ(unit["predictions"][std::to_string(s)].get<double>(), predicted(s, u));
    EXPECT_NEAR(unit["ensemble"].get<double>(), mean[u], 1e-9);
    EXPECT_NEAR(unit["spread"].get<double>(), std::sqrt(ss / 2), 1e-9);
  }
  EXPECT_NEAR(e["test_rmse"].get<double>(), rmse(mean), 1e-9);
  // Beside the single seeds' figures (from their metrics.json: 11, 12, 13).
  EXPECT_DOUBLE_EQ(e["single_seeds"]["mean_rmse"].get<double>(), 12.0);
  // Gain: k = 1 is the mean of the seeds' own RMSEs, k = 3 the full ensemble.
  ASSERT_EQ(e["gain"].size(), 3u);
  double single = 0;
  for (int s = 1; s <= 3; ++s) {
    std::vector<double> p;
    for (size_t u = 0; u < kTruth.size(); ++u) p.push_back(predicted(s, u));
    single += rmse(p) / 3;
  }
  EXPECT_NEAR(e["gain"][0]["mean_rmse"].get<double>(), single, 1e-9);
  EXPECT_EQ(e["gain"][1]["subsets"], 3);
  EXPECT_NEAR(e["gain"][2]["mean_rmse"].get<double>(), rmse(mean), 1e-9);
  EXPECT_LT(rmse(mean), single);  // the data are made so that averaging helps

  const std::string md = read_file(r.run_dir + "/results/report.md");
  EXPECT_NE(md.find("## Ensemble of the seeds"), std::string::npos);
  EXPECT_NE(md.find("Gain with the number of seeds"), std::string::npos);
  const std::string html = read_file(r.run_dir + "/results/report.html");
  EXPECT_NE(html.find("id=\"ensemble\""), std::string::npos);
  EXPECT_NE(html.find("id=\"ensemble-gain\""), std::string::npos);
}

TEST_F(ReportEnsemble, IdenticalSeedsMakeAnEnsembleEqualToOneOfThemWithNoSpread) {
  const json e = test::dataset_of(write(r.run_dir), "SAME")["ensemble"];
  ASSERT_TRUE(e["available"]);
  std::vector<double> one;
  for (size_t u = 0; u < kTruth.size(); ++u) one.push_back(predicted(1, u));
  EXPECT_NEAR(e["test_rmse"].get<double>(), rmse(one), 1e-12);
  EXPECT_EQ(e["mean_spread"], 0.0);
  EXPECT_NEAR(e["gain"][0]["mean_rmse"].get<double>(), e["gain"][1]["mean_rmse"].get<double>(), 1e-12);
}

TEST_F(ReportEnsemble, ASeedOnOtherTestUnitsIsLeftOutAndNamed) {
  write_predictions(r, "FD001", 3, 5);  // seed 3 covers only 5 of the 8 units
  const json e = test::dataset_of(write(r.run_dir), "FD001")["ensemble"];
  EXPECT_EQ(e["seeds"], json({1, 2}));
  bool named = false;
  for (const json& l : e["left_out"]) named |= l.get<std::string>().rfind("FD001-s3: 5 test units", 0) == 0;
  EXPECT_TRUE(named) << e["left_out"];
}

TEST_F(ReportEnsemble, CompareSetsTheTwoRunsEnsemblesSideBySide) {
  ReportRunDir b;
  b.experiment({"FD001"}, {1, 2, 3, 4});
  for (int s = 1; s <= 2; ++s) {
    b.done_job("FD001", s, 12.0);
    write_predictions(b, "FD001", s, kTruth.size(), s + 3);
  }
  write(r.run_dir, b.run_dir);
  const json c = json::parse(read_file(r.run_dir + "/results/comparison.json"));
  const json& d = c["datasets"][0];
  ASSERT_EQ(d["dataset"], "FD001");
  const json a_ens = test::dataset_of(json::parse(read_file(r.run_dir + "/results/results.json")), "FD001")["ensemble"];
  std::vector<double> mean_b;
  for (size_t u = 0; u < kTruth.size(); ++u) mean_b.push_back((predicted(4, u) + predicted(5, u)) / 2);
  EXPECT_EQ(d["ensemble"]["n_a"], 3);
  EXPECT_EQ(d["ensemble"]["n_b"], 2);
  EXPECT_NEAR(d["ensemble"]["rmse_a"].get<double>(), a_ens["test_rmse"].get<double>(), 1e-12);
  EXPECT_NEAR(d["ensemble"]["rmse_b"].get<double>(), rmse(mean_b), 1e-9);
  EXPECT_EQ(d["ensemble"]["paired_units_squared_error"]["n_a"], 8);
  EXPECT_NE(read_file(r.run_dir + "/results/comparison.md").find("Ensembles of the seeds"), std::string::npos);
}

TEST_F(ReportEnsemble, TheValidationProtocolIsStatedPerDataset) {
  json m = r.metrics("FD001", 1, 11.0);
  m["validation"] = {{"kind", "last_window"}, {"units_held_out", 20}, {"windows", 3000}, {"cut_windows", 160},
                     {"cuts_per_unit", 8}, {"cut_rul_range", {6, 145}}, {"r_max", 125}, {"window", 30}};
  for (int s = 1; s <= 3; ++s) {
    m["seed"] = s;
    r.job_file("FD001", s, "metrics.json", m.dump());
  }
  const json results = write(r.run_dir);
  const std::string v = test::dataset_of(results, "FD001")["validation"];
  EXPECT_NE(v.find("last_window: 20 training units held out, each cut at 8 points (true RUL 6-145"), std::string::npos) << v;
  EXPECT_NE(v.find("RUL cap 125, window 30"), std::string::npos) << v;
  EXPECT_EQ(results["seeds"][0]["protocol"], "validation selection (last window)");
  EXPECT_NE(read_file(r.run_dir + "/results/report.md").find("FD001 validation: last_window"), std::string::npos);
}

}  // namespace
}  // namespace amnl::orch
