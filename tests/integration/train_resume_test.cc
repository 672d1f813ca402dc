// `amnl train` as real processes: killed with SIGKILL after a periodic checkpoint, stopped by
// SIGUSR1 mid-epoch, or resumed over a corrupt newest checkpoint, a job must end with the same
// weights, history and metrics, bit for bit, as one that never stopped (same --threads).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "integration/orch_helpers.h"

namespace amnl::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// One `amnl train` child with its output in a file; killed on destruction if still running.
class TrainProcess : public Spawned {
 public:
  TrainProcess(const std::vector<std::string>& argv, const std::string& log) : Spawned(argv, log), log_(log) {}
  // Never kill(-1, ...): that would signal every process of the user.
  void signal(int sig) {
    if (pid() > 0) ::kill(pid(), sig);
  }
  std::string output() const { return read_file(log_); }

 private:
  std::string log_;
};

json manifest_entries(const std::string& job_dir) {
  try {
    return json::parse(read_file(job_dir + "/checkpoints/MANIFEST.json")).at("checkpoints");
  } catch (const std::exception&) {
    return json::array();
  }
}

bool manifest_lists(const std::string& job_dir, const std::string& file) {
  for (const auto& e : manifest_entries(job_dir))
    if (e["file"] == file) return true;
  return false;
}

bool wait_for(const std::function<bool()>& pred, TrainProcess& p, double timeout_s) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    if (!p.running()) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

class TrainResume : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto synth = run_command({amnl_binary(), "synth", "--out", data_dir(), "--dataset-name", "SYN", "--units", "20",
                              "--seed", "3"});
    ASSERT_EQ(synth.exit_code, 0) << synth.output;
    auto ref = run_command(train_args(reference_dir()));
    ASSERT_EQ(ref.exit_code, 0) << ref.output;
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string data_dir() { return *dir_ / "data"; }
  static std::string reference_dir() { return *dir_ / "reference"; }
  static std::vector<std::string> train_args(const std::string& out, bool resume = false) {
    std::vector<std::string> a{amnl_binary(), "train",  "--dataset", "SYN",   "--seed",      "7",  "--data-dir",
                               data_dir(),    "--out",  out,         "--preset", "tiny", "--threads", "1"};
    if (resume) a.push_back("--resume");
    return a;
  }

  static json metrics(const std::string& job_dir) {
    json m = json::parse(read_file(job_dir + "/metrics.json"));
    m.erase("run");  // wall time, attempt, resumes: legitimately different
    return m;
  }
  static json history(const std::string& job_dir) {
    json h = json::parse(read_file(job_dir + "/SYN_v7_seed7_history.json"));
    for (auto& e : h) e.erase("seconds");
    return h;
  }
  static std::string predictions(const std::string& job_dir) {
    auto r = run_command({amnl_binary(), "predict", "--model", job_dir + "/SYN_v7_seed7.pt", "--data",
                          data_dir() + "/test_SYN.txt", "--threads", "1"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
  }
  static void expect_same_as_reference(const std::string& job_dir) {
    const json m = metrics(job_dir);
    EXPECT_EQ(m, metrics(reference_dir()));
    EXPECT_EQ(m["weights_crc32"], metrics(reference_dir())["weights_crc32"]);
    EXPECT_EQ(history(job_dir), history(reference_dir()));
    EXPECT_EQ(predictions(job_dir), predictions(reference_dir()));
    EXPECT_EQ(json::parse(read_file(job_dir + "/metrics.json"))["run"]["resumes"], 1);
  }

  // Trains into `job` until its manifest lists `checkpoint`, then SIGKILLs the trainer.
  static void kill_once_checkpointed(const std::string& job, const std::string& checkpoint, const std::string& log) {
    TrainProcess p(train_args(job), log);
    ASSERT_TRUE(wait_for([&] { return manifest_lists(job, checkpoint); }, p, 180)) << p.output();
    p.signal(SIGKILL);
    ASSERT_EQ(p.wait(30), -SIGKILL) << "the run ended before it could be killed:\n" << p.output();
  }

  // `amnl train --resume` into `job`: it succeeds, its output names `resumed_from`, and the job
  // ends bit for bit as the uninterrupted reference.
  static void resume_and_expect_reference(const std::string& job, const std::string& resumed_from) {
    auto r = run_command(train_args(job, true));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(resumed_from), std::string::npos) << r.output;
    expect_same_as_reference(job);
  }

  static TempDir* dir_;
};
TempDir* TrainResume::dir_ = nullptr;

TEST_F(TrainResume, SigkillAfterPeriodicCheckpointThenResumeIsBitIdentical) {
  TempDir t;
  const std::string job = t / "job";
  ASSERT_NO_FATAL_FAILURE(kill_once_checkpointed(job, "epoch_2.pt", t / "first.log"));
  EXPECT_FALSE(fs::exists(job + "/metrics.json"));
  resume_and_expect_reference(job, "resuming from");
}

TEST_F(TrainResume, Sigusr1MidEpochWritesEmergencyCheckpointExits75AndResumesBitIdentical) {
  TempDir t;
  const std::string job = t / "job";
  {
    TrainProcess p(train_args(job), t / "first.log");
    ASSERT_TRUE(wait_for([&] { return manifest_lists(job, "epoch_2.pt"); }, p, 180)) << p.output();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // into epoch 3
    p.signal(SIGUSR1);
    ASSERT_EQ(p.wait(60), 75) << p.output();
    EXPECT_NE(p.output().find("interrupted.pt"), std::string::npos) << p.output();
  }
  bool found = false;
  for (const auto& e : manifest_entries(job))
    if (e["file"] == "interrupted.pt") {
      found = true;
      EXPECT_GE(e["epoch"].get<int>(), 2);
      EXPECT_GT(e["batch"].get<int>(), 0) << "the emergency checkpoint holds a position inside an epoch";
    }
  ASSERT_TRUE(found) << manifest_entries(job).dump();
  resume_and_expect_reference(job, "checkpoints/interrupted.pt");
}

TEST_F(TrainResume, CorruptNewestCheckpointFallsBackToThePreviousOne) {
  TempDir t;
  const std::string job = t / "job";
  ASSERT_NO_FATAL_FAILURE(kill_once_checkpointed(job, "epoch_4.pt", t / "first.log"));
  // Flip a byte in every checkpoint at the newest position (a best and a periodic checkpoint of
  // one epoch hold the same state), so the resume has to go back further.
  const json entries = manifest_entries(job);
  int newest = 0;
  for (const auto& e : entries) newest = std::max(newest, e["epoch"].get<int>());
  ASSERT_EQ(newest, 4);
  std::vector<std::string> corrupted;
  for (const auto& e : entries)
    if (e["epoch"] == newest) {
      const std::string path = job + "/checkpoints/" + e["file"].get<std::string>();
      std::string bytes = read_file(path);
      bytes[bytes.size() / 2] ^= 0x40;
      write_file(path, bytes);
      corrupted.push_back(e["file"]);
    }
  auto r = run_command(train_args(job, true));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const auto& f : corrupted)
    EXPECT_NE(r.output.find("skipping checkpoint " + job + "/checkpoints/" + f + ": checksum mismatch"), std::string::npos)
        << r.output;
  EXPECT_NE(r.output.find("resuming from"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("(4 epochs and 0 batches done"), std::string::npos) << r.output;
  expect_same_as_reference(job);
}

}  // namespace
}  // namespace amnl::test
