// Rank 0 stalls (SIGSTOP: a VM steal, a swap storm, a debugger) for longer than
// worker_timeout_s but less than the workers' coordinator_timeout_s, while every worker keeps
// training and sending heartbeats across the nodes. On waking it must not blame them: nobody is
// declared dead, no attempt is charged, every job finishes on its first attempt.
#include <signal.h>

#include <chrono>
#include <thread>

#include "cluster/cluster_test_fixture.h"

namespace amnl::test {
namespace {

using nlohmann::json;

TEST_F(ClusterTest, RankZeroStoppedLongerThanTheWorkerTimeoutBlamesNoWorker) {
  const std::string exp = experiment({"A"}, {1, 2, 3}, json{{"fault", {{"worker_timeout_s", 3}, {"coordinator_timeout_s", 15}}}});
  ClusterRun run(*cluster_, exp, 4);
  const auto running = wait_running_with_checkpoints(run.run_dir(), 3, 1, 180);
  ASSERT_EQ(running.size(), 3u) << run.output();
  const pid_t rank0 = rank_pid(run.run_dir(), 0);
  ASSERT_GT(rank0, 0);
  ASSERT_EQ(::kill(rank0, SIGSTOP), 0);
  std::this_thread::sleep_for(std::chrono::seconds(6));  // 2 x worker_timeout_s
  ASSERT_EQ(::kill(rank0, SIGCONT), 0);

  expect_run_ended(run, "complete", 0);
  EXPECT_TRUE(ledger_events(run.run_dir(), "worker_dead").empty())
      << "rank 0 blamed workers for its own stall: " << json(ledger_events(run.run_dir(), "worker_dead")).dump();
  EXPECT_TRUE(ledger_events(run.run_dir(), "attempt_failed").empty());
  for (const json& d : ledger_events(run.run_dir(), "done")) {
    EXPECT_EQ(d["attempt"], 1) << d.dump();
  }
  const std::string job = running[0].job;
  EXPECT_EQ(metrics_differ_from_alone(run.run_dir(), job, alone_dir(job)), "");
}

}  // namespace
}  // namespace amnl::test
