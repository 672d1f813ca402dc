// run_training_job end to end, in process, with the tiny preset on synthetic data: it learns,
// stops and resumes bit for bit, survives a torn checkpoint, refuses another recipe's
// checkpoint, fails cleanly on NaN loss and bad output directories, and is fenced.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <thread>

#include "common/cmapss/dataset.h"
#include "common/fault_injecting_storage.h"
#include "common/fence.h"
#include "common/recipe_config.h"
#include "common/cmapss/synth.h"
#include "support/test_support.h"
#include "worker/final_model.h"
#include "worker/job_runner.h"

namespace amnl {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int64_t kSeed = 7;

class TrainingJob : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    data::SynthOptions o;
    o.dataset_name = "SYN";
    o.units = 20;
    o.seed = 3;
    auto files = data::write_synthetic_dataset(data_dir(), o);
    ASSERT_TRUE(files.ok()) << files.message();
  }
  // The uninterrupted run, trained on first use: ctest runs each test in its own process, and
  // the tests that do not compare against it should not pay for it.
  static const JobResult& reference() {
    if (!reference_) reference_ = new JobResult(run_training_job(request(reference_dir()), JobCallbacks{}));
    return *reference_;
  }
  static void TearDownTestSuite() {
    delete reference_;
    reference_ = nullptr;
    delete dir_;
  }

  static std::string data_dir() { return *dir_ / "data"; }
  static std::string reference_dir() { return *dir_ / "reference"; }
  static json tiny() { return RecipeConfig::preset("tiny")->to_json(); }
  static JobRequest request(const std::string& job_dir, json recipe = tiny()) {
    JobRequest r;
    r.dataset = "SYN";
    r.seed = kSeed;
    r.data_dir = data_dir();
    r.job_dir = job_dir;
    r.recipe = std::move(recipe);
    r.threads = 1;  // bit-identical results need the same thread count
    r.resume = true;
    return r;
  }

  // metrics.json and the history without what legitimately differs (timing, attempts).
  static json deterministic_metrics(const std::string& job_dir) {
    json m = json::parse(test::read_file(job_dir + "/metrics.json"));
    m.erase("run");
    return m;
  }
  static json deterministic_history(const std::string& job_dir) {
    json h = json::parse(test::read_file(job_dir + "/SYN_v7_seed7_history.json"));
    for (auto& e : h) e.erase("seconds");
    return h;
  }
  static std::string manifest(const std::string& job_dir) {
    return test::read_file(job_dir + "/checkpoints/MANIFEST.json");
  }
  static std::string job_logs(const std::string& job_dir) {
    std::string all;
    for (const auto& f : fs::directory_iterator(job_dir + "/logs")) all += test::read_file(f.path().string());
    return all;
  }
  void expect_same_as_reference(const std::string& job_dir) {
    ASSERT_EQ(reference().end, JobEnd::kDone) << reference().reason;
    EXPECT_EQ(deterministic_metrics(job_dir), deterministic_metrics(reference_dir()));
    EXPECT_EQ(deterministic_history(job_dir), deterministic_history(reference_dir()));
    auto a = worker::predict_with_model_file(job_dir + "/SYN_v7_seed7.pt", data_dir() + "/test_SYN.txt", "", 1);
    auto b = worker::predict_with_model_file(reference_dir() + "/SYN_v7_seed7.pt", data_dir() + "/test_SYN.txt", "", 1);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->rul, b->rul);
  }

  static test::TempDir* dir_;
  static JobResult* reference_;
};
test::TempDir* TrainingJob::dir_ = nullptr;
JobResult* TrainingJob::reference_ = nullptr;

TEST_F(TrainingJob, TinyPresetLearnsOnSyntheticData) {
  ASSERT_EQ(reference().end, JobEnd::kDone) << reference().reason;
  const json& m = reference().metrics;
  // The best constant predictor of the validation windows scores their standard deviation.
  auto prepared = data::prepare_dataset(data_dir(), "SYN", RecipeConfig::preset("tiny")->data_options(kSeed));
  ASSERT_TRUE(prepared.ok()) << prepared.message();
  const auto& y = prepared->val.rul;
  double mean = 0, var = 0;
  for (float v : y) mean += v;
  mean /= static_cast<double>(y.size());
  for (float v : y) var += (v - mean) * (v - mean);
  const double constant_rmse = std::sqrt(var / static_cast<double>(y.size()));
  std::cout << "val RMSE " << m["val_rmse"] << " vs constant predictor " << constant_rmse << "; test RMSE "
            << m["test_rmse"] << "\n";
  EXPECT_LT(m["val_rmse"].get<double>(), 0.75 * constant_rmse);
  EXPECT_EQ(m["epochs_run"], 8);
  EXPECT_EQ(m["val_windows"].get<size_t>(), y.size());
  const json h = json::parse(test::read_file(reference_dir() + "/SYN_v7_seed7_history.json"));
  EXPECT_LT(h.back()["loss"].get<double>(), 0.5 * h.front()["loss"].get<double>());
  // Layout of system.md.
  for (const char* f : {"SYN_v7_seed7.pt", "SYN_v7_seed7_history.json", "SYN_v7_seed7_history.csv", "metrics.json",
                        "checkpoints/MANIFEST.json", "checkpoints/epoch_8.pt"})
    EXPECT_TRUE(fs::exists(reference_dir() + "/" + f)) << f;
  EXPECT_FALSE(fs::exists(reference_dir() + "/checkpoints/epoch_4.pt")) << "keep_last 2 keeps epochs 6 and 8";
  EXPECT_TRUE(fs::exists(reference_dir() + "/checkpoints/best_epoch_" + std::to_string(m["best_epoch"].get<int>()) + ".pt"));
}

TEST_F(TrainingJob, PredictFromTheModelFileAloneReproducesTheTestMetrics) {
  ASSERT_EQ(reference().end, JobEnd::kDone) << reference().reason;
  auto p = worker::predict_with_model_file(reference().final_model, data_dir() + "/test_SYN.txt",
                                           data_dir() + "/RUL_SYN.txt", 1);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->units.size(), 20u);
  double se = 0;
  for (size_t i = 0; i < p->rul.size(); ++i) se += (p->rul[i] - p->true_rul[i]) * (p->rul[i] - p->true_rul[i]);
  EXPECT_NEAR(std::sqrt(se / p->rul.size()), reference().metrics["test_rmse"].get<double>(), 1e-9);
}

TEST_F(TrainingJob, StopMidEpochThenResumeEndsBitIdentical) {
  test::TempDir job;
  std::atomic<bool> stop{false};
  JobCallbacks cb;
  cb.stop_requested = &stop;
  cb.on_progress = [&](const JobProgress& p) {
    if (p.batches_done == 100) stop = true;  // inside epoch 2
  };
  JobResult first = run_training_job(request(job.path()), cb);
  ASSERT_EQ(first.end, JobEnd::kPreempted) << first.reason;
  EXPECT_NE(first.reason.find("interrupted.pt"), std::string::npos) << first.reason;
  const json m = json::parse(manifest(job.path()));
  bool found = false;
  for (const auto& e : m["checkpoints"])
    if (e["file"] == "interrupted.pt") {
      found = true;
      EXPECT_EQ(e["epoch"], 1);
      EXPECT_GT(e["batch"].get<int>(), 0);
    }
  EXPECT_TRUE(found) << m.dump();

  JobResult second = run_training_job(request(job.path()), JobCallbacks{});
  ASSERT_EQ(second.end, JobEnd::kDone) << second.reason;
  EXPECT_EQ(second.resumed_from_epoch, 1);
  EXPECT_EQ(second.metrics["run"]["resumes"], 1);
  expect_same_as_reference(job.path());
}

TEST_F(TrainingJob, TornCheckpointIsSkippedAndTheRunStillEndsIdentical) {
  test::TempDir job;
  auto fis = std::make_shared<FaultInjectingStorage>(make_posix_storage());
  std::atomic<bool> stop{false};
  JobCallbacks cb;
  cb.stop_requested = &stop;
  cb.on_progress = [&](const JobProgress& p) {
    if (p.batches_done == 200) {  // inside epoch 4: the emergency checkpoint is the next write
      fis->tear_next_write(1000);
      stop = true;
    }
  };
  JobResult first = run_training_job(request(job.path()), cb, fis);
  ASSERT_EQ(first.end, JobEnd::kPreempted) << first.reason;

  JobResult second = run_training_job(request(job.path()), JobCallbacks{});
  ASSERT_EQ(second.end, JobEnd::kDone) << second.reason;
  EXPECT_GE(second.resumed_from_epoch, 2);
  EXPECT_LE(second.resumed_from_epoch, 3);
  const std::string logs = job_logs(job.path());
  EXPECT_NE(logs.find("skipping checkpoint " + job.path() + "/checkpoints/interrupted.pt: truncated"),
            std::string::npos)
      << logs;
  expect_same_as_reference(job.path());
}

TEST_F(TrainingJob, CheckpointOfAnotherRecipeIsRefusedNamingTheKey) {
  test::TempDir job;
  std::atomic<bool> stop{false};
  JobCallbacks cb;
  cb.stop_requested = &stop;
  cb.on_progress = [&](const JobProgress& p) { stop = p.batches_done >= 5; };
  ASSERT_EQ(run_training_job(request(job.path()), cb).end, JobEnd::kPreempted);
  json other = tiny();
  other["model"]["lstm_hidden"] = 16;
  JobResult r = run_training_job(request(job.path(), other), JobCallbacks{});
  ASSERT_EQ(r.end, JobEnd::kFailed);
  EXPECT_NE(r.reason.find("recipe.model.lstm_hidden"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("interrupted.pt"), std::string::npos) << r.reason;
}

TEST_F(TrainingJob, NonFiniteLossFailsWithAReason) {
  test::TempDir job;
  json absurd = tiny();
  absurd["optimizer"]["lr"] = 1e30;  // diverges to inf/NaN within a few steps
  JobResult r = run_training_job(request(job.path(), absurd), JobCallbacks{});
  ASSERT_EQ(r.end, JobEnd::kFailed);
  EXPECT_NE(r.reason.find("non-finite training loss"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("epoch 1"), std::string::npos) << r.reason;
}

TEST_F(TrainingJob, FencedAttemptWritesNothing) {
  test::TempDir job;
  int calls = 0;
  JobCallbacks cb;
  cb.still_owner = [&] { return ++calls == 1; };  // owner at the start, superseded later
  JobResult r = run_training_job(request(job.path()), cb);
  ASSERT_EQ(r.end, JobEnd::kFenced) << r.reason;
  EXPECT_GT(calls, 1);
  EXPECT_TRUE(fs::is_empty(job.path() + "/checkpoints"));
  EXPECT_FALSE(fs::exists(job.path() + "/metrics.json"));
}

// Every file of a job directory with its bytes: what a reader of it could see.
std::map<std::string, std::string> job_files(const std::string& job_dir) {
  std::map<std::string, std::string> out;
  for (const auto& f : fs::recursive_directory_iterator(job_dir))
    if (f.is_regular_file() && f.path().parent_path().filename() != "logs")
      out[fs::relative(f.path(), job_dir).string()] = test::read_file(f.path().string());
  return out;
}

// Regression: the lease was asked before a checkpoint write only. An attempt stalled in the
// middle of one (NFS) while the job went to a new attempt, which trained to the end; on waking,
// the stale write replaced the new attempt's checkpoint and MANIFEST.json. Fenced at the commit,
// the stale attempt changes no byte of the finished job, and the job still equals training alone.
TEST_F(TrainingJob, AStaleAttemptStalledInACheckpointWriteChangesNothingOfItsSuccessor) {
  test::TempDir job;
  auto storage = std::make_shared<FaultInjectingStorage>(make_posix_storage());
  std::atomic<int> lease{1};
  auto attempt = [&](int n) {
    JobRequest r = request(job.path());
    r.attempt = n;
    r.fence = make_fence_id(100 * n, "5e55104a", n);
    return r;
  };
  auto owned_by = [&](int n) {
    JobCallbacks cb;
    cb.still_owner = [&lease, n] { return lease == n; };
    return cb;
  };
  const JobRequest stale_request = attempt(1);
  const JobCallbacks stale_callbacks = owned_by(1);
  storage->hold_next("write", "epoch_4.pt");  // attempt 1, four epochs in, in its checkpoint write
  JobResult stale;
  std::thread stalled([&] { stale = run_training_job(stale_request, stale_callbacks, storage); });
  if (!storage->wait_until_held(std::chrono::seconds(300))) {
    storage->release_held();
    stalled.join();
    FAIL() << "attempt 1 never wrote epoch 4's checkpoint: " << stale.reason;
  }
  lease = 2;
  const JobResult owner = run_training_job(attempt(2), owned_by(2), storage);
  ASSERT_EQ(owner.end, JobEnd::kDone) << owner.reason;
  const auto finished = job_files(job.path());
  storage->release_held();
  stalled.join();
  EXPECT_EQ(stale.end, JobEnd::kFenced) << stale.reason;
  const auto after = job_files(job.path());
  for (const auto& [name, bytes] : after) {
    const auto before = finished.find(name);
    EXPECT_TRUE(before != finished.end() && before->second == bytes) << name << " changed after the owner finished";
  }
  EXPECT_EQ(after.size(), finished.size());
  expect_same_as_reference(job.path());
}

TEST_F(TrainingJob, UnwritableOutputAndBadRecipeFailBeforeTraining) {
  test::TempDir job;
  test::write_file(job / "file", "x");
  JobResult r = run_training_job(request(job / "file/sub"), JobCallbacks{});
  ASSERT_EQ(r.end, JobEnd::kFailed);
  EXPECT_NE(r.reason.find("not writable"), std::string::npos) << r.reason;

  json bad = tiny();
  bad["model"]["lstm_hidden"] = 0;
  r = run_training_job(request(job / "ok", bad), JobCallbacks{});
  ASSERT_EQ(r.end, JobEnd::kFailed);
  EXPECT_NE(r.reason.find("recipe.model.lstm_hidden: must be >= 1, got 0"), std::string::npos) << r.reason;
  EXPECT_FALSE(fs::exists(job / "ok"));

  JobRequest missing = request(job / "m");
  missing.dataset = "NOPE";
  r = run_training_job(missing, JobCallbacks{});
  ASSERT_EQ(r.end, JobEnd::kFailed);
  EXPECT_NE(r.reason.find("NOPE"), std::string::npos) << r.reason;
}

TEST(ThreadCount, ExplicitThenSlurmThenOmp) {
  // Restores the variables afterwards: other tests in this process read them.
  struct Restore {
    std::string names[2] = {"SLURM_CPUS_PER_TASK", "OMP_NUM_THREADS"};
    std::optional<std::string> old[2];
    Restore() {
      for (int i = 0; i < 2; ++i)
        if (const char* v = std::getenv(names[i].c_str())) old[i] = v;
    }
    ~Restore() {
      for (int i = 0; i < 2; ++i) old[i] ? ::setenv(names[i].c_str(), old[i]->c_str(), 1) : ::unsetenv(names[i].c_str());
    }
  } restore;
  EXPECT_EQ(resolve_thread_count(3), 3);
  ::setenv("SLURM_CPUS_PER_TASK", "5", 1);
  ::setenv("OMP_NUM_THREADS", "4", 1);
  EXPECT_EQ(resolve_thread_count(0), 5);
  ::unsetenv("SLURM_CPUS_PER_TASK");
  EXPECT_EQ(resolve_thread_count(0), 4);
  ::unsetenv("OMP_NUM_THREADS");
  EXPECT_GE(resolve_thread_count(0), 1);
}

}  // namespace
}  // namespace amnl
