// The job's recipe is resolved once, at its entry point (worker/job_runner.h): `amnl train` hands
// the RecipeConfig it resolved to the job instead of encoding it for the job to decode again. A
// job run so trains exactly as one given the same recipe as JSON, and its checkpoints are the
// same job's to the JSON path (the resume check compares recipes).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "common/recipe_config.h"
#include "support/test_support.h"
#include "worker/job_runner.h"

namespace amnl {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class JobRecipe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    ASSERT_EQ(test::write_synthetic_cmapss(*dir_ / "data", "SYN", 20, 3), "");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static RecipeConfig tiny() { return *RecipeConfig::preset("tiny"); }
  static JobRequest request(const std::string& job_dir, json recipe) {
    JobRequest r;
    r.dataset = "SYN";
    r.seed = 7;
    r.data_dir = *dir_ / "data";
    r.job_dir = job_dir;
    r.recipe = std::move(recipe);
    r.threads = 1;  // bit-identical results need the same thread count
    r.resume = true;
    return r;
  }
  static json deterministic_metrics(const JobResult& r) {
    json m = r.metrics;
    m.erase("run");
    return m;
  }

  static test::TempDir* dir_;
};
test::TempDir* JobRecipe::dir_ = nullptr;

TEST_F(JobRecipe, NullOrEmptyRequestRecipeIsThePaperDefaults) {
  for (const json& recipe : {json(), json::object()}) {
    auto r = job_recipe(request("unused", recipe));
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->to_json(), RecipeConfig{}.to_json());
  }
}

TEST_F(JobRecipe, AnInvalidRequestRecipeIsNamedByItsKey) {
  json bad = tiny().to_json();
  bad["optimizer"]["batch_size"] = 0;
  auto r = job_recipe(request("unused", bad));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("recipe.optimizer.batch_size"), std::string::npos) << r.message();
}

// A resolved recipe beside recipe JSON would be two recipes for one job: refused, nothing written.
TEST_F(JobRecipe, AJobWithAResolvedRecipeAndRecipeJsonFailsWritingNothing) {
  test::TempDir job;
  const std::string job_dir = job / "job";
  JobResult r = run_training_job(request(job_dir, tiny().to_json()), tiny(), JobCallbacks{}, make_posix_storage());
  ASSERT_EQ(r.end, JobEnd::kFailed);
  EXPECT_NE(r.reason.find("one recipe"), std::string::npos) << r.reason;
  EXPECT_FALSE(fs::exists(job_dir));
}

// Stopped in its second epoch on the resolved path, resumed on the JSON path: the same result,
// bit for bit, as a job given the recipe as JSON and never interrupted.
TEST_F(JobRecipe, AResolvedRecipeTrainsAndResumesAsTheSameRecipeGivenAsJson) {
  test::TempDir job;
  const JobResult reference = run_training_job(request(job / "json", tiny().to_json()), JobCallbacks{});
  ASSERT_EQ(reference.end, JobEnd::kDone) << reference.reason;

  std::atomic<bool> stop{false};
  JobCallbacks cb;
  cb.stop_requested = &stop;
  cb.on_progress = [&](const JobProgress& p) { stop = p.batches_done >= 100; };
  const std::string resolved_dir = job / "resolved";
  const JobResult first = run_training_job(request(resolved_dir, json()), tiny(), cb, make_posix_storage());
  ASSERT_EQ(first.end, JobEnd::kPreempted) << first.reason;

  const JobResult second = run_training_job(request(resolved_dir, tiny().to_json()), JobCallbacks{});
  ASSERT_EQ(second.end, JobEnd::kDone) << second.reason;
  EXPECT_EQ(second.resumed_from_epoch, 1);
  EXPECT_EQ(deterministic_metrics(second), deterministic_metrics(reference));
  EXPECT_EQ(test::read_file(resolved_dir + "/test_predictions.csv"),
            test::read_file(job / "json/test_predictions.csv"));
}

}  // namespace
}  // namespace amnl
