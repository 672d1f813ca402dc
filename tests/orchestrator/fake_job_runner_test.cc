// The fake trainer reads a job's recipe as the real one does (RecipeConfig): the recipe's own
// defaults, and a bad recipe refused naming its key before anything is written. It once kept
// defaults of its own (5 epochs, a checkpoint every epoch) and trained any recipe.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/recipe_config.h"
#include "orchestrator/ranks/fake_job_runner.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

JobRequest fake_request(const test::TempDir& dir, json recipe) {
  fs::create_directories(dir / "data");
  test::write_file(dir / "data/train_FD001.txt", "1 1 0.0 0.0 100.0\n");
  JobRequest r;
  r.dataset = "FD001";
  r.seed = 3;
  r.data_dir = dir / "data";
  r.job_dir = dir / "job";
  r.recipe = std::move(recipe);
  r.resume = false;
  return r;
}

TEST(FakeJobRunner, AnEmptyRecipeTrainsTheRecipesDefaultEpochs) {
  test::TempDir dir;
  const JobResult r = make_fake_job_runner(0, 1)(fake_request(dir, json::object()), JobCallbacks{});
  ASSERT_EQ(r.end, JobEnd::kDone) << r.reason;
  const RecipeConfig defaults;
  EXPECT_EQ(r.epochs_run, defaults.max_epochs);
  // A checkpoint every checkpoint.every_epochs epochs, but none after the last.
  EXPECT_TRUE(fs::exists(dir / ("job/checkpoints/epoch_" + std::to_string(defaults.checkpoint.every_epochs) + ".json")));
  EXPECT_FALSE(fs::exists(dir / "job/checkpoints/epoch_1.json"));
}

TEST(FakeJobRunner, TheRecipesEpochsAndCheckpointIntervalAreThoseTrained) {
  test::TempDir dir;
  const json recipe = {{"max_epochs", 4}, {"checkpoint", {{"every_epochs", 2}}}};
  const JobResult r = make_fake_job_runner(0, 1)(fake_request(dir, recipe), JobCallbacks{});
  ASSERT_EQ(r.end, JobEnd::kDone) << r.reason;
  EXPECT_EQ(r.epochs_run, 4);
  EXPECT_TRUE(fs::exists(dir / "job/checkpoints/epoch_2.json"));
  EXPECT_FALSE(fs::exists(dir / "job/checkpoints/epoch_1.json"));
}

TEST(FakeJobRunner, ABadRecipeFailsNamingTheKeyBeforeWritingAnything) {
  test::TempDir dir;
  const json recipe = {{"max_epochs", 2}, {"model", {{"lstm_hidden", 0}}}};
  const JobResult r = make_fake_job_runner(0, 1)(fake_request(dir, recipe), JobCallbacks{});
  ASSERT_EQ(r.end, JobEnd::kFailed);
  EXPECT_NE(r.reason.find("recipe.model.lstm_hidden"), std::string::npos) << r.reason;
  EXPECT_FALSE(fs::exists(dir / "job"));
}

}  // namespace
}  // namespace amnl::orch
