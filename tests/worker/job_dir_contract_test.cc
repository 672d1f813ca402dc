// The job dir's file contract (common/job_dir_files.h) end to end, in process: the real trainer
// writes a job dir, and the report's reader and `amnl train`'s check for earlier training read it
// back through the same names and keys. A file or key renamed on one side only fails here, not
// in a user's report that silently lost its learning curves.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/cmapss/synth.h"
#include "common/job_dir_files.h"
#include "common/recipe_config.h"
#include "common/storage.h"
#include "orchestrator/report/report_job_files.h"
#include "support/test_support.h"
#include "worker/job_dir_contents.h"
#include "worker/job_runner.h"

namespace amnl {
namespace {

using nlohmann::json;

constexpr int64_t kSeed = 5;
constexpr int kEpochs = 2;

class JobDirContract : public ::testing::Test {
 protected:
  // One short training (tiny preset, 2 epochs) for every test of the suite.
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    data::SynthOptions o;
    o.dataset_name = "SYN";
    o.units = 12;
    o.seed = 4;
    ASSERT_TRUE(data::write_synthetic_dataset(*dir_ / "data", o).ok());
    JobRequest r;
    r.dataset = "SYN";
    r.seed = kSeed;
    r.data_dir = *dir_ / "data";
    r.job_dir = job_dir();
    json recipe = RecipeConfig::preset("tiny")->to_json();
    recipe["max_epochs"] = kEpochs;
    r.recipe = recipe;
    r.threads = 1;
    result_ = new JobResult(run_training_job(r, JobCallbacks{}));
  }
  static void TearDownTestSuite() {
    delete result_;
    delete dir_;
  }
  static std::string job_dir() { return *dir_ / "job"; }
  void SetUp() override { ASSERT_EQ(result_->end, JobEnd::kDone) << result_->reason; }

  static test::TempDir* dir_;
  static JobResult* result_;
  std::shared_ptr<Storage> storage_ = make_posix_storage();
};
test::TempDir* JobDirContract::dir_ = nullptr;
JobResult* JobDirContract::result_ = nullptr;

// The report reads every figure the trainer wrote: metrics (from metrics.json, not the ledger),
// the learning curve of every epoch, and one prediction per test unit.
TEST_F(JobDirContract, TheReportReadsEveryFileTheTrainerWrites) {
  orch::SeedResult seed;
  seed.dataset = "SYN";
  seed.seed = kSeed;
  seed.job_dir = job_dir();
  ASSERT_TRUE(orch::read_job_files(*storage_, seed));
  EXPECT_TRUE(seed.problems.empty()) << seed.problems.front();
  EXPECT_EQ(seed.metrics_source, job_files::kMetrics);
  const json& m = result_->metrics;
  EXPECT_DOUBLE_EQ(seed.test_rmse, m[job_files::metrics_key::kTestRmse].get<double>());
  EXPECT_DOUBLE_EQ(seed.nasa_score, m[job_files::metrics_key::kNasaScore].get<double>());
  EXPECT_EQ(seed.epochs_run, kEpochs);
  EXPECT_EQ(seed.selection, "validation");
  EXPECT_EQ(seed.validation_kind, RecipeConfig::preset("tiny")->data.validation);
  ASSERT_TRUE(seed.wall_seconds.has_value());
  EXPECT_EQ(seed.attempts, 1);
  ASSERT_EQ(seed.history.size(), static_cast<size_t>(kEpochs));
  for (int e = 0; e < kEpochs; ++e) {
    EXPECT_EQ(seed.history[e].epoch, e + 1);
    EXPECT_TRUE(std::isfinite(seed.history[e].val_rmse));
    EXPECT_TRUE(std::isfinite(seed.history[e].val_all_windows_rmse));
  }
  EXPECT_EQ(seed.predictions.size(), m[job_files::metrics_key::kTestUnits].get<size_t>());
  EXPECT_NE(seed.protocol.find("validation selection"), std::string::npos) << seed.protocol;
}

// The history CSV starts with the shared header and has one row of as many fields per epoch.
TEST_F(JobDirContract, TheHistoryCsvHasTheSharedHeaderAndARowPerEpoch) {
  std::istringstream csv(test::read_file(job_dir() + "/" + job_files::history_csv_name("SYN", kSeed)));
  std::string line;
  ASSERT_TRUE(std::getline(csv, line));
  EXPECT_EQ(line, job_files::kHistoryCsvHeader);
  const auto fields = [](const std::string& l) { return std::count(l.begin(), l.end(), ',') + 1; };
  const auto columns = fields(line);
  int rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    EXPECT_EQ(fields(line), columns) << line;
    EXPECT_EQ(line.substr(0, line.find(',')), std::to_string(rows));
  }
  EXPECT_EQ(rows, kEpochs);
}

// `amnl train` without --resume refuses to overwrite these: it finds every file the trainer wrote.
TEST_F(JobDirContract, EarlierTrainingFilesAreTheFilesTheTrainerWrote) {
  const std::vector<std::string> found = worker::earlier_training_files(*storage_, job_dir(), "SYN", kSeed);
  for (const std::string& name :
       {job_files::final_model_name("SYN", kSeed), job_files::history_json_name("SYN", kSeed),
        job_files::history_csv_name("SYN", kSeed), std::string(job_files::kMetrics),
        std::string(job_files::kTestPredictions), std::string(job_files::kCheckpointsDir) + "/MANIFEST.json"})
    EXPECT_NE(std::find(found.begin(), found.end(), name), found.end()) << name << " not found";
  EXPECT_TRUE(std::is_sorted(found.begin(), found.end()));
  // Another seed's model and histories are not this job's; the unnamed files are the dir's.
  EXPECT_EQ(worker::earlier_training_files(*storage_, job_dir(), "SYN", kSeed + 1).size(), found.size() - 3);
}

}  // namespace
}  // namespace amnl
