// amnl run across 3 namespace nodes (np 4: rank 0 and rank 3 on node 1, rank 1 on node 2,
// rank 2 on node 3): a clean run, a worker node that loses power mid-run, and rank 0's node
// lost (mpirun with it) followed by a rerun launched from another node.
#include <signal.h>

#include "cluster/cluster_test_fixture.h"

namespace amnl::test {
namespace {

using nlohmann::json;

constexpr int kNp = 4;

TEST_F(ClusterTest, CleanRunAcrossThreeNodes) {
  const std::string exp = experiment({"A"}, {1, 2, 3});
  ClusterRun run(*cluster_, exp, kNp);
  ASSERT_FALSE(run.wait_final_outcome(240).is_null()) << run.output();
  for (int node = 1; node <= 3; ++node)
    EXPECT_FALSE(run.ranks_on_node(node).empty()) << "no rank ran on node " << node;
  expect_run_ended(run, "complete", 0);
  EXPECT_TRUE(ledger_events(run.run_dir(), "worker_dead").empty());
  // The job rank 2 trained on node 3 equals the job trained alone.
  std::string on_node3;
  for (const json& d : ledger_events(run.run_dir(), "done"))
    if (run.rank_node(d.value("rank", -1)) == 3) on_node3 = d["job"];
  ASSERT_FALSE(on_node3.empty()) << "no job was done on node 3";
  EXPECT_EQ(metrics_differ_from_alone(run.run_dir(), on_node3, alone_dir(on_node3)), "");
}

TEST_F(ClusterTest, NodeLosesPowerMidRunAndItsJobResumesElsewhere) {
  const std::string exp = experiment({"A"}, {1, 2, 3});
  ClusterRun run(*cluster_, exp, kNp);
  RunningJob victim;
  ASSERT_NO_FATAL_FAILURE(wait_for_rank_2_on_node_3_mid_job(run, victim));
  cluster_->power_off(3);

  expect_run_ended(run, "complete", 0);
  const auto dead = ledger_events(run.run_dir(), "worker_dead");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0]["rank"], 2);
  expect_the_job_resumed_elsewhere(run, victim, 2);
}

TEST_F(ClusterTest, RankZerosNodeLostThenARerunFromAnotherNodeResumes) {
  // 8 epochs: cut at epoch 1-2, most of the training is left for the rerun.
  const std::string exp = experiment({"A"}, {1, 2, 3},
                                     json{{"recipe", {{"max_epochs", 8}}}, {"fault", {{"coordinator_timeout_s", 5}}}});
  {
    ClusterRun run(*cluster_, exp, kNp);
    const auto running = wait_running_with_checkpoints(run.run_dir(), 3, 1, 180);
    ASSERT_EQ(running.size(), 3u) << run.output();
    ASSERT_EQ(run.rank_node(0), 1);
    cluster_->power_off(1);  // rank 0, rank 3 and mpirun itself
    EXPECT_NE(run.wait(10), -1000) << "mpirun survived its node";
    // The workers on nodes 2 and 3 hear nothing from rank 0: they checkpoint and leave.
    EXPECT_TRUE(wait_until([&] {
      for (const NodeProcess& p : cluster_->processes())
        if (p.comm == "amnl") return false;
      return true;
    }, 5 + 30)) << cluster_->describe_processes();
    EXPECT_EQ(processes_left_after(*cluster_, kOrtedGraceS), "") << "processes left after rank 0's node died";
    // The outcome rank 0 wrote at its start says so: the coordinator died, nothing claimed done.
    const json first = read_json(run.run_dir() + "/outcome.json");
    EXPECT_EQ(first.value("outcome", ""), "running") << first.dump();
    EXPECT_LT(ledger_events(run.run_dir(), "done").size(), 3u);
  }
  // Whatever the first session left (orteds that never heard of node 1's death) is cleared, as
  // the batch system would, so that the rerun's own leftovers are checked alone.
  cluster_->crash(2);
  cluster_->crash(3);
  // Node 1 stays down: rank 0 of the rerun runs on node 2 (ranks 0, 2 there, rank 1 on node 3).
  const size_t records_before = read_ledger(cluster_->shared_dir() + "/exp/run").size();
  ClusterRun rerun(*cluster_, exp, 3, {2, 3});
  ASSERT_FALSE(rerun.wait_final_outcome(240).is_null()) << rerun.output();
  EXPECT_EQ(rerun.rank_node(0), 2);
  expect_run_ended(rerun, "complete", 0);
  // Every job the first session left unfinished resumed from a checkpoint in the rerun; one
  // whose training had ended just before the loss (metrics.json written, its done record never
  // written by the dead rank 0) is adopted, not trained again.
  const auto all = read_ledger(rerun.run_dir());
  std::string resumed;
  for (size_t i = records_before; i < all.size(); ++i) {
    if (all[i].value("event", "") != "done" || all[i].contains("recovered")) continue;
    EXPECT_GE(all[i].value("resumed_from_epoch", 0), 1) << all[i].dump();
    resumed = all[i]["job"];
  }
  ASSERT_FALSE(resumed.empty()) << "the rerun finished no job";
  EXPECT_EQ(metrics_differ_from_alone(rerun.run_dir(), resumed, alone_dir(resumed)), "");
}

}  // namespace
}  // namespace amnl::test
