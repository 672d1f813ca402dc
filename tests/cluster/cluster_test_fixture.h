#pragma once
// The fixture of the multi-node tests: a 3-node namespace cluster per test (skipped, with the
// reason, where namespaces cannot be made), and the checks every run ends with.
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <set>
#include <string>

#include "cluster/cluster_run.h"

namespace amnl::test {

class ClusterTest : public ::testing::Test {
 protected:
  // mpirun must be gone this long after rank 0 wrote the final outcome (issue 23, item 1).
  static constexpr double kExitBoundS = 10;
  // How long the orteds get to leave once mpirun is gone.
  static constexpr double kOrtedGraceS = 5;

  void SetUp() override {
    const std::string why = NetnsCluster::unavailable();
    if (!why.empty()) GTEST_SKIP() << "no namespace cluster here: " << why;
    cluster_ = std::make_unique<NetnsCluster>(3);
  }

  // The end of every run: mpirun gone within kExitBoundS of rank 0's final outcome, with the
  // outcome's exit code as its status; the outcome the expected one; every job done exactly
  // once; no rank or orted left on any node. mpirun is killed afterwards if it still ran.
  void expect_run_ended(ClusterRun& run, const std::string& want_outcome, int want_exit_code) {
    const auto after = run.exit_after_outcome(kExitBoundS);
    const nlohmann::json outcome = read_json(run.run_dir() + "/outcome.json");
    EXPECT_TRUE(after.has_value()) << "mpirun still ran " << kExitBoundS << " s after rank 0 wrote the final outcome "
                                   << outcome.dump() << "\nprocesses on the nodes:\n"
                                   << cluster_->describe_processes();
    if (after) {
      // Under --enable-recovery mpirun never passes rank 0's status on (measured: 0 after
      // MPI_Finalize whatever the outcome); after a rank lost across hosts rank 0 ends mpirun
      // with SIGKILL (examples/README.md, "How the run ends"). The outcome carries the code.
      const int want_status = session_lost_a_rank(run.run_dir()) ? -SIGKILL : 0;
      EXPECT_EQ(run.wait(0), want_status) << "mpirun's exit status is not the documented one";
    }
    EXPECT_EQ(outcome.value("outcome", ""), want_outcome) << outcome.dump() << "\n" << run.output();
    EXPECT_EQ(outcome.value("exit_code", -1), want_exit_code) << outcome.dump();
    EXPECT_EQ(processes_left_after(*cluster_, kOrtedGraceS), "") << "processes left after the run";
    run.kill_mpirun();
    EXPECT_EQ(jobs_not_done_once(run.run_dir()), "");
  }

  // Whether the last session ended with a worker dead or gone (readmitted ranks are back).
  static bool session_lost_a_rank(const std::string& run_dir) {
    std::set<int> lost;
    for (const nlohmann::json& r : read_ledger(run_dir)) {
      const std::string ev = r.value("event", "");
      if (ev == "session_started") lost.clear();
      if (ev == "worker_dead" || ev == "worker_left") lost.insert(r.value("rank", -1));
      if (ev == "worker_readmitted") lost.erase(r.value("rank", -1));
    }
    return !lost.empty();
  }

  // Tiny preset, checkpoint every epoch, short fault timeouts (write_orch_experiment), `patch`
  // on top; data and run dir in the cluster's shared dir.
  std::string experiment(const std::vector<std::string>& datasets, const std::vector<int>& seeds,
                         const nlohmann::json& patch = {}, const std::string& name = "exp") {
    return write_cluster_experiment(*cluster_, name, datasets, seeds, patch);
  }
  std::string alone_dir(const std::string& job) const { return cluster_->shared_dir() + "/alone-" + job; }

  // The moment to cut node 3 off: three jobs running with a checkpoint each, node 3 holding rank 2
  // alone. Returns rank 2's job (`victim`), the one the fault hits.
  void wait_for_rank_2_on_node_3_mid_job(ClusterRun& run, RunningJob& victim) {
    const auto running = wait_running_with_checkpoints(run.run_dir(), 3, 1, 180);
    ASSERT_EQ(running.size(), 3u) << run.output();
    ASSERT_EQ(run.ranks_on_node(3), std::vector<int>{2});
    victim = job_of_rank(running, 2);
    ASSERT_FALSE(victim.job.empty());
  }

  // After the run ended with rank `lost` dead: the outcome names it, and the job it ran was done
  // once, elsewhere, resumed from its checkpoint, untouched by the stale attempt, and equal to
  // training it alone.
  void expect_the_job_resumed_elsewhere(const ClusterRun& run, const RunningJob& victim, int lost) {
    const nlohmann::json outcome = read_json(run.run_dir() + "/outcome.json");
    EXPECT_EQ(outcome["dead_ranks"], nlohmann::json::array({lost})) << outcome.dump();
    const auto done = ledger_events(run.run_dir(), "done", victim.job);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_NE(done[0]["rank"], lost);
    EXPECT_GE(done[0].value("resumed_from_epoch", 0), victim.checkpoint_epoch) << done[0].dump();
    EXPECT_EQ(stale_attempt_wrote(run.run_dir(), victim.job), "");
    EXPECT_EQ(metrics_differ_from_alone(run.run_dir(), victim.job, alone_dir(victim.job)), "");
  }

  std::unique_ptr<NetnsCluster> cluster_;
};

}  // namespace amnl::test
