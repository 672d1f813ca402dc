// `amnl train`, `amnl predict` and `amnl evaluate` as a user runs them: exit statuses, error
// messages, and a deployment model that works from its file alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/checksum.h"
#include "integration/orch_helpers.h"

namespace amnl::test {
namespace {

using nlohmann::json;

class TrainCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    make_short_syn_job_inputs(*dir_, 12, 5);
  }
  // A 2-epoch job, trained on first use (ctest runs each test in its own process).
  static const CommandResult& trained() {
    if (!train_) train_ = new CommandResult(train_short_syn_job(*dir_));
    return *train_;
  }
  static void TearDownTestSuite() {
    delete train_;
    train_ = nullptr;
    delete dir_;
  }
  static TempDir* dir_;
  static CommandResult* train_;
};
TempDir* TrainCli::dir_ = nullptr;
CommandResult* TrainCli::train_ = nullptr;

TEST_F(TrainCli, TrainLogsEachEpochAndWritesTheJobLayout) {
  ASSERT_EQ(trained().exit_code, 0) << trained().output;
  EXPECT_NE(trained().output.find("epoch 1/2 loss"), std::string::npos) << trained().output;
  EXPECT_NE(trained().output.find("epoch 2/2 loss"), std::string::npos) << trained().output;
  EXPECT_NE(trained().output.find("val_rmse"), std::string::npos);
  EXPECT_NE(trained().output.find("eta"), std::string::npos);
  const json m = json::parse(read_file(*dir_ / "job/metrics.json"));
  EXPECT_EQ(m["epochs_run"], 2);
  // Which data it trained on: CRC-32 of train, test and RUL files as if concatenated.
  const std::string files = read_file(*dir_ / "data/train_SYN.txt") + read_file(*dir_ / "data/test_SYN.txt") +
                            read_file(*dir_ / "data/RUL_SYN.txt");
  EXPECT_EQ(m["data_crc32"], crc32_hex(files));
  EXPECT_EQ(read_file(*dir_ / "job/checkpoints/epoch_1.pt").empty(), false);
  EXPECT_EQ(read_file(*dir_ / "job/checkpoints/epoch_2.pt").empty(), false);
  const std::string csv = read_file(*dir_ / "job/SYN_v7_seed1_history.csv");
  EXPECT_EQ(csv.rfind("epoch,loss,rul_loss,health_loss,val_rmse,lr", 0), 0u) << csv;
}

TEST_F(TrainCli, PredictAndEvaluateUseOnlyTheModelFile) {
  ASSERT_EQ(trained().exit_code, 0) << trained().output;
  const std::string model = *dir_ / "job/SYN_v7_seed1.pt";
  auto p = run_command({amnl_binary(), "predict", "--model", model, "--data", *dir_ / "data/test_SYN.txt"});
  ASSERT_EQ(p.exit_code, 0) << p.output;
  std::istringstream lines(p.output);
  int unit = 0, n = 0;
  double rul = 0;
  while (lines >> unit >> rul) {
    ++n;
    EXPECT_EQ(unit, n);
    EXPECT_GE(rul, 0.0);
  }
  EXPECT_EQ(n, 12);

  auto e = run_command({amnl_binary(), "evaluate", "--model", model, "--data", *dir_ / "data/test_SYN.txt", "--rul",
                        *dir_ / "data/RUL_SYN.txt"});
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const json em = json::parse(e.output);
  const json m = json::parse(read_file(*dir_ / "job/metrics.json"));
  EXPECT_NEAR(em["test_rmse"].get<double>(), m["test_rmse"].get<double>(), 1e-6);
  EXPECT_NEAR(em["nasa_score"].get<double>(), m["nasa_score"].get<double>(), 1e-6);
  EXPECT_EQ(em["units"], 12);
}

// "unit rul" lines of `amnl predict` with one model.
std::vector<double> predicted_rul(const std::string& output) {
  std::istringstream lines(output);
  int unit = 0;
  double rul = 0;
  std::vector<double> out;
  while (lines >> unit >> rul) out.push_back(rul);
  return out;
}

std::vector<double> true_rul(const std::string& rul_file) {
  std::istringstream in(read_file(rul_file));
  std::vector<double> out;
  for (double v = 0; in >> v;) out.push_back(std::min(v, 125.0));  // capped as the metrics are
  return out;
}

// Issue 26: several --model files make the ensemble of the seeds; identical models are one model.
TEST_F(TrainCli, EvaluateOfSeveralModelsIsTheirEnsembleRecomputedHereFromEachModelsPredictions) {
  ASSERT_EQ(trained().exit_code, 0) << trained().output;
  auto second = run_command({amnl_binary(), "train", "--dataset", "SYN", "--seed", "2", "--data-dir", *dir_ / "data",
                             "--out", *dir_ / "job2", "--preset", "tiny", "--config", *dir_ / "short.json",
                             "--threads", "1"});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const std::string a = *dir_ / "job/SYN_v7_seed1.pt", b = *dir_ / "job2/SYN_v7_seed2.pt";
  const std::string data = *dir_ / "data/test_SYN.txt", rul = *dir_ / "data/RUL_SYN.txt";
  const auto pa = predicted_rul(run_command({amnl_binary(), "predict", "--model", a, "--data", data}).output);
  const auto pb = predicted_rul(run_command({amnl_binary(), "predict", "--model", b, "--data", data}).output);
  const auto truth = true_rul(rul);
  ASSERT_EQ(pa.size(), 12u);
  ASSERT_EQ(pb.size(), 12u);
  double ss = 0;
  for (size_t u = 0; u < truth.size(); ++u) ss += std::pow((pa[u] + pb[u]) / 2 - truth[u], 2);

  auto e = run_command({amnl_binary(), "evaluate", "--model", a, "--model", b, "--data", data, "--rul", rul});
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const json em = json::parse(e.output);
  EXPECT_EQ(em["ensemble"]["n"], 2);
  EXPECT_NEAR(em["ensemble"]["test_rmse"].get<double>(), std::sqrt(ss / 12), 1e-4);  // predict prints 6 decimals
  EXPECT_NEAR(em["ensemble"]["per_unit"][0]["spread"].get<double>(), std::fabs(pa[0] - pb[0]) / std::sqrt(2.0), 1e-4);
  EXPECT_EQ(em["models"].size(), 2u);

  // The same model twice: the ensemble is that model, with no spread.
  auto same = run_command({amnl_binary(), "evaluate", "--model", a, "--model", a, "--data", data, "--rul", rul});
  ASSERT_EQ(same.exit_code, 0) << same.output;
  const json sm = json::parse(same.output);
  const json one = json::parse(read_file(*dir_ / "job/metrics.json"));
  EXPECT_NEAR(sm["ensemble"]["test_rmse"].get<double>(), one["test_rmse"].get<double>(), 1e-9);
  EXPECT_EQ(sm["ensemble"]["mean_spread"], 0.0);

  // predict with several: "# unit ensemble_rul spread <models>" then one line per unit.
  auto p = run_command({amnl_binary(), "predict", "--model", a, "--model", b, "--data", data});
  ASSERT_EQ(p.exit_code, 0) << p.output;
  std::istringstream lines(p.output);
  std::string header;
  std::getline(lines, header);
  EXPECT_EQ(header, "# unit ensemble_rul spread SYN_v7_seed1.pt SYN_v7_seed2.pt");
  int unit = 0;
  double mean = 0, spread = 0, ra = 0, rb = 0;
  ASSERT_TRUE(lines >> unit >> mean >> spread >> ra >> rb);
  EXPECT_NEAR(mean, (pa[0] + pb[0]) / 2, 1e-5);
}

// --run RUN_DIR --dataset D: the final models of the dataset's done seeds; a seed without one
// (not done) is not in it; the data files default to the run's data_dir.
TEST_F(TrainCli, EvaluateOfARunsDatasetTakesEveryDoneSeedsFinalModel) {
  ASSERT_EQ(trained().exit_code, 0) << trained().output;
  const std::string run = *dir_ / "run";
  for (int s : {1, 2, 3}) std::filesystem::create_directories(run + "/jobs/SYN/seed_" + std::to_string(s));
  for (int s : {1, 2})  // the same model under two seeds' names: an ensemble equal to it
    std::filesystem::copy_file(*dir_ / "job/SYN_v7_seed1.pt", run + "/jobs/SYN/seed_" + std::to_string(s) +
                                                                 "/SYN_v7_seed" + std::to_string(s) + ".pt");
  write_file(run + "/experiment.json", json({{"data_dir", *dir_ / "data"}}).dump());
  auto e = run_command({amnl_binary(), "evaluate", "--run", run, "--dataset", "SYN"});
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const json em = json::parse(e.output);
  EXPECT_EQ(em["ensemble"]["n"], 2);
  EXPECT_NE(em["models"][1]["model"].get<std::string>().find("seed_2/SYN_v7_seed2.pt"), std::string::npos);
  const json one = json::parse(read_file(*dir_ / "job/metrics.json"));
  EXPECT_NEAR(em["ensemble"]["test_rmse"].get<double>(), one["test_rmse"].get<double>(), 1e-9);

  auto none = run_command({amnl_binary(), "evaluate", "--run", run, "--dataset", "FD009"});
  EXPECT_EQ(none.exit_code, 1) << none.output;
  EXPECT_NE(none.output.find(run + "/jobs/FD009: no such directory"), std::string::npos) << none.output;
}

// Regression: `train --config` merged the file with JSON merge-patch, which reads null as
// "delete", so {"ema_decay": null} trained with the paper default instead of refusing.
TEST_F(TrainCli, ANullInTheConfigIsRefusedNamingTheKey) {
  write_file(*dir_ / "null.json", R"({"ema_decay": null})");
  auto r = run_command({amnl_binary(), "train", "--dataset", "SYN", "--seed", "1", "--data-dir", *dir_ / "data",
                        "--out", *dir_ / "nulljob", "--preset", "tiny", "--config", *dir_ / "null.json"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find((*dir_ / "null.json") + ": recipe.ema_decay: must not be null"), std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(*dir_ / "nulljob/metrics.json"));
}

TEST_F(TrainCli, ErrorsNameTheProblem) {
  write_file(*dir_ / "bad.json", R"({"model": {"lstm_hidden": 0}})");
  auto r = run_command({amnl_binary(), "train", "--dataset", "SYN", "--seed", "1", "--data-dir", *dir_ / "data",
                        "--out", *dir_ / "bad", "--config", *dir_ / "bad.json"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("amnl: " + (*dir_ / "bad.json") + ": recipe.model.lstm_hidden: must be >= 1, got 0"),
            std::string::npos)
      << r.output;

  write_file(*dir_ / "afile", "x");
  r = run_command({amnl_binary(), "train", "--dataset", "SYN", "--seed", "1", "--data-dir", *dir_ / "data", "--out",
                   *dir_ / "afile/job", "--preset", "tiny"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("not writable"), std::string::npos) << r.output;

  r = run_command({amnl_binary(), "train", "--dataset", "../etc", "--seed", "1", "--data-dir", *dir_ / "data", "--out",
                   *dir_ / "x", "--preset", "tiny"});
  // A name that would leave the data or job dir is a usage error, refused before any file is touched.
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("amnl: --dataset: dataset name '../etc'"), std::string::npos) << r.output;

  r = run_command({amnl_binary(), "predict", "--model", *dir_ / "data/test_SYN.txt", "--data", *dir_ / "data/test_SYN.txt"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("amnl: " + (*dir_ / "data/test_SYN.txt")), std::string::npos) << r.output;

  r = run_command({amnl_binary(), "train", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("--resume"), std::string::npos) << r.output;
}

// Regression (data loss): `amnl train` without --resume on a job dir that holds checkpoints used
// to delete them silently. It must refuse, name what is there and keep every byte.
TEST_F(TrainCli, RefusesToOverwriteAJobDirWithoutResumeOrFresh) {
  ASSERT_EQ(trained().exit_code, 0) << trained().output;
  const std::string job = *dir_ / "job";
  const std::string before = read_file(job + "/checkpoints/epoch_2.pt");
  const std::string manifest = read_file(job + "/checkpoints/MANIFEST.json");
  const std::string model = read_file(job + "/SYN_v7_seed1.pt");
  auto r = run_command({amnl_binary(), "train", "--dataset", "SYN", "--seed", "1", "--data-dir", *dir_ / "data",
                        "--out", job, "--preset", "tiny", "--config", *dir_ / "short.json", "--threads", "1"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(job), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("epoch_2.pt"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--resume"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--fresh"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(job + "/checkpoints/epoch_2.pt"), before);
  EXPECT_EQ(read_file(job + "/checkpoints/MANIFEST.json"), manifest);
  EXPECT_EQ(read_file(job + "/SYN_v7_seed1.pt"), model);

  // --resume and --fresh together make no sense.
  r = run_command({amnl_binary(), "train", "--dataset", "SYN", "--seed", "1", "--data-dir", *dir_ / "data", "--out",
                   job, "--preset", "tiny", "--resume", "--fresh"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(read_file(job + "/checkpoints/epoch_2.pt"), before);
}

// Regression (disk leak): a checkpoint write killed half-way left its temporary file forever.
TEST_F(TrainCli, AResumeRemovesTheTemporariesOfAKilledWrite) {
  ASSERT_EQ(trained().exit_code, 0) << trained().output;
  const std::string job = *dir_ / "job";
  const std::string dead_ckpt = job + "/checkpoints/epoch_3.pt.tmp.4242.0";
  const std::string dead_metrics = job + "/metrics.json.tmp.4242.1";
  write_file(dead_ckpt, std::string(100000, 'x'));
  write_file(dead_metrics, "{");
  auto r = run_command({amnl_binary(), "train", "--dataset", "SYN", "--seed", "1", "--data-dir", *dir_ / "data",
                        "--out", job, "--preset", "tiny", "--config", *dir_ / "short.json", "--threads", "1",
                        "--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dead_ckpt)) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dead_metrics)) << r.output;
}

TEST_F(TrainCli, FreshSaysWhatItDeletesAndStartsOver) {
  const std::string job = *dir_ / "fresh-job";
  write_file(*dir_ / "one.json", R"({"max_epochs": 1, "checkpoint": {"every_epochs": 1}})");
  const std::vector<std::string> base{amnl_binary(), "train", "--dataset", "SYN", "--seed", "2", "--data-dir",
                                      *dir_ / "data", "--out", job, "--preset", "tiny", "--config",
                                      *dir_ / "one.json", "--threads", "1"};
  auto r = run_command(base);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto fresh = base;
  fresh.push_back("--fresh");
  r = run_command(fresh);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--fresh: deleting"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("epoch_1.pt"), std::string::npos) << r.output;
  const json m = json::parse(read_file(job + "/metrics.json"));
  EXPECT_EQ(m["run"]["resumes"], 0);
}

}  // namespace
}  // namespace amnl::test
