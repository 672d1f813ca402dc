// Preemption and a lost coordinator under real mpirun: SIGUSR1 to mpirun checkpoints every
// running job and ends "preempted" (rerun resumes exactly); SIGKILL of rank 0 makes every worker
// stop by itself within its watchdog time (rerun completes).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "integration/orch_run_fixture.h"

namespace amnl::test {
namespace {

using nlohmann::json;

class MpiPreemptionTest : public OrchRunTest {};

TEST_F(MpiPreemptionTest, Sigusr1ToMpirunCheckpointsEveryJobAndTheRerunResumes) {
  signal_mpirun_then_rerun(SIGUSR1, [&] {
    EXPECT_EQ(read_json(run_dir() + "/outcome.json")["exit_code"], 75);
    for (const std::string ds : {"A", "B"}) {
      EXPECT_EQ(ledger_events(run_dir(), "preempted", ds + "-s1").size(), 1u) << ds;
      EXPECT_TRUE(std::filesystem::exists(run_dir() + "/jobs/" + ds + "/seed_1/checkpoints/interrupted.pt")) << ds;
    }
  });
  for (const std::string ds : {"A", "B"}) {
    const auto done = ledger_events(run_dir(), "done", ds + "-s1");
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0]["attempt"], 2);
    EXPECT_GE(done[0]["resumed_from_epoch"].get<int>(), 1) << done[0].dump();
  }
}

TEST_F(MpiPreemptionTest, KilledCoordinatorLeavesNoRankRunningAndTheRerunCompletes) {
  const std::string exp = write_orch_experiment(dir_, {"A"}, {1, 2}, json{{"recipe", {{"max_epochs", 6}}}});
  std::vector<pid_t> workers;
  {
    MpiRun run(exp, true, dir_ / "mpirun.log");
    ASSERT_TRUE(wait_until([&] { return all_running_with_checkpoint(2); }, 120)) << run.output();
    workers = {rank_pid(run_dir(), 1), rank_pid(run_dir(), 2)};
    ASSERT_EQ(::kill(rank_pid(run_dir(), 0), SIGKILL), 0);
    // coordinator_timeout_s is 4: each worker checkpoints and exits by itself soon after.
    for (pid_t w : workers) EXPECT_TRUE(wait_until([&] { return !process_alive(w); }, 20)) << "rank pid " << w;
    EXPECT_NE(run.wait(20), -1000) << "mpirun still running after every rank ended";
  }
  EXPECT_EQ(read_json(run_dir() + "/outcome.json")["outcome"], "running");  // the coordinator died
  ASSERT_EQ(run_orch(exp, true, dir_ / "mpirun2.log"), 0) << read_file(dir_ / "mpirun2.log");
  const json outcome = read_json(run_dir() + "/outcome.json");
  ASSERT_EQ(outcome["outcome"], "complete") << outcome.dump();
  for (int seed : {1, 2}) {
    const auto done = ledger_events(run_dir(), "done", "A-s" + std::to_string(seed));
    ASSERT_EQ(done.size(), 1u);
    // Either resumed from its checkpoint, or it finished while the workers outlived the
    // coordinator and the rerun adopted its metrics.json instead of training it again.
    if (!done[0].contains("recovered")) {
      EXPECT_GE(done[0]["resumed_from_epoch"].get<int>(), 1) << done[0].dump();
    }
  }
  EXPECT_EQ(job_metrics(run_dir(), "A", 1), train_alone(run_dir(), "A", 1, dir_ / "alone"));
}

TEST_F(MpiPreemptionTest, SigtermToOneWorkerCheckpointsItsJobWhichResumesOnAnotherRank) {
  const std::string exp = write_orch_experiment(dir_, {"A"}, {1}, json{{"recipe", {{"max_epochs", 6}}}});
  MpiRun run(exp, true, dir_ / "mpirun.log");
  ASSERT_TRUE(wait_until([&] { return all_running_with_checkpoint(1); }, 120)) << run.output();
  const int rank = ledger_events(run_dir(), "assigned", "A-s1").at(0)["rank"];
  const pid_t pid = rank_pid(run_dir(), rank);
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  ASSERT_NE(run.wait(180), -1000) << run.output();
  EXPECT_FALSE(process_alive(pid));
  ASSERT_EQ(read_json(run_dir() + "/outcome.json")["outcome"], "complete") << run.output();
  const auto pre = ledger_events(run_dir(), "preempted", "A-s1");
  ASSERT_EQ(pre.size(), 1u);
  EXPECT_EQ(pre[0]["rank"], rank);
  const auto left = ledger_events(run_dir(), "worker_left");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0]["rank"], rank);
  EXPECT_TRUE(ledger_events(run_dir(), "worker_dead").empty());
  const auto done = ledger_events(run_dir(), "done", "A-s1");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_NE(done[0]["rank"], rank);
  EXPECT_EQ(done[0]["attempt"], 2);
  EXPECT_GE(done[0]["resumed_from_epoch"].get<int>(), 1) << done[0].dump();
  EXPECT_EQ(job_metrics(run_dir(), "A", 1), train_alone(run_dir(), "A", 1, dir_ / "alone"));
}

}  // namespace
}  // namespace amnl::test
