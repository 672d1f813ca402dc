// Partitions of node 3 (rank 2 of np 4) during an amnl run: shorter than the worker timeout
// (nobody notices), longer than it but healed (the rank is declared dead, then readmitted with
// new work while its stale attempt stays fenced), and permanent (its job resumes elsewhere, the
// cut-off worker leaves by itself).
#include <chrono>
#include <thread>

#include "cluster/cluster_test_fixture.h"

namespace amnl::test {
namespace {

using nlohmann::json;

constexpr int kNp = 4;

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

TEST_F(ClusterTest, PartitionShorterThanTheWorkerTimeoutGoesUnnoticed) {
  // TCP's retransmission backoff stretches a 2 s cut to about 3 s of silence (mpi-slurm.md).
  const std::string exp = experiment({"A"}, {1, 2, 3}, json{{"fault", {{"worker_timeout_s", 10}, {"coordinator_timeout_s", 20}}}});
  ClusterRun run(*cluster_, exp, kNp);
  RunningJob victim;
  ASSERT_NO_FATAL_FAILURE(wait_for_rank_2_on_node_3_mid_job(run, victim));
  cluster_->partition(3);
  sleep_s(2);
  cluster_->heal(3);

  expect_run_ended(run, "complete", 0);
  EXPECT_TRUE(ledger_events(run.run_dir(), "worker_dead").empty());
  EXPECT_TRUE(ledger_events(run.run_dir(), "attempt_failed").empty());
  const auto done = ledger_events(run.run_dir(), "done", victim.job);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]["rank"], 2);
  EXPECT_EQ(done[0]["attempt"], 1);
  EXPECT_EQ(metrics_differ_from_alone(run.run_dir(), victim.job, alone_dir(victim.job)), "");
}

TEST_F(ClusterTest, PartitionLongerThanTheWorkerTimeoutHealsAndTheRankIsReadmitted) {
  // The cut-off worker must outlive the cut (coordinator_timeout_s) to be readmitted; more jobs
  // than workers, so that work is left when it is back.
  // TCP's backoff: the cut-off rank is heard from again up to twice the cut after the heal, so
  // keep the cut short once it has been declared dead, and the work long enough to outlast that.
  const std::string exp = experiment({"A", "B"}, {1, 2, 3, 4, 5, 6, 7},
                                     json{{"fault", {{"worker_timeout_s", 3}, {"coordinator_timeout_s", 60}}}});
  ClusterRun run(*cluster_, exp, kNp);
  RunningJob victim;
  ASSERT_NO_FATAL_FAILURE(wait_for_rank_2_on_node_3_mid_job(run, victim));
  cluster_->partition(3);
  EXPECT_TRUE(wait_until([&] { return !ledger_events(run.run_dir(), "worker_dead").empty(); }, 20))
      << "rank 2 was not declared dead during the partition";
  sleep_s(1);
  cluster_->heal(3);

  expect_run_ended(run, "complete", 0);
  EXPECT_EQ(ledger_events(run.run_dir(), "worker_readmitted").size(), 1u) << "rank 2 was not readmitted after the heal";
  EXPECT_TRUE(assigned_after_death(run.run_dir(), 2)) << "rank 2 was never given work again after the heal";
  // Its stale attempt wrote nothing the run kept, and only one attempt ever finished the job.
  EXPECT_EQ(stale_attempt_wrote(run.run_dir(), victim.job), "");
  const auto done = ledger_events(run.run_dir(), "done", victim.job);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_GT(done[0].value("attempt", 0), victim.attempt);
  EXPECT_EQ(metrics_differ_from_alone(run.run_dir(), victim.job, alone_dir(victim.job)), "");
}

TEST_F(ClusterTest, PermanentPartitionTheJobResumesElsewhereAndTheCutOffWorkerLeaves) {
  // 8 epochs: the cut-off worker must not finish its job before its watchdog makes it leave.
  const std::string exp = experiment({"A"}, {1, 2, 3}, json{{"recipe", {{"max_epochs", 8}}},
                                                            {"fault", {{"worker_timeout_s", 3}, {"coordinator_timeout_s", 6}}}});
  ClusterRun run(*cluster_, exp, kNp);
  RunningJob victim;
  ASSERT_NO_FATAL_FAILURE(wait_for_rank_2_on_node_3_mid_job(run, victim));
  cluster_->partition(3);  // never healed
  // The worker on node 3 hears nothing from rank 0: it checkpoints and exits by itself.
  EXPECT_TRUE(wait_until([&] {
    for (const NodeProcess& p : cluster_->processes(3))
      if (p.comm == "amnl") return false;
    return true;
  }, 6 + 30)) << cluster_->describe_processes();

  expect_run_ended(run, "complete", 0);
  expect_the_job_resumed_elsewhere(run, victim, 2);
}

}  // namespace
}  // namespace amnl::test
