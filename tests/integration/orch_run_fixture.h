#pragma once
// The fixture of the `mpirun amnl run` tests: synthetic data "A" and "B" in a temporary dir, the
// run dir beside it, and the steps several tests share (interrupt a run mid-training, check that
// every job was done exactly once).
#include <gtest/gtest.h>
#include <signal.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "integration/orch_helpers.h"

namespace amnl::test {

class OrchRunTest : public ::testing::Test {
 protected:
  void SetUp() override { make_orch_data(dir_ / "data"); }
  std::string run_dir() const { return dir_ / "run"; }
  bool all_running_with_checkpoint(size_t jobs) const { return test::all_running_with_checkpoint(run_dir(), jobs); }

  // Starts `mpirun amnl run EXPERIMENT` (with --enable-recovery), sends `sig` to mpirun once each
  // of `jobs` jobs has a checkpoint and none is done, and waits for mpirun to end.
  void signal_mpirun_mid_run(const std::string& experiment, int sig, size_t jobs = 2) {
    MpiRun run(experiment, true, dir_ / "mpirun.log");
    ASSERT_TRUE(wait_until([&] { return all_running_with_checkpoint(jobs); }, 120)) << run.output();
    ASSERT_EQ(::kill(run.pid(), sig), 0);
    ASSERT_NE(run.wait(60), -1000) << run.output();
  }

  // `sig` to mpirun mid-run over A-s1 and B-s1: the outcome is preempted with a rerun asked for,
  // `before_rerun` checks what the interrupted run left, and the rerun completes every job once,
  // each equal to training it alone.
  void signal_mpirun_then_rerun(int sig, const std::function<void()>& before_rerun = {}) {
    const std::string exp = write_orch_experiment(dir_, {"A", "B"}, {1}, nlohmann::json{{"recipe", {{"max_epochs", 6}}}});
    signal_mpirun_mid_run(exp, sig);
    if (HasFatalFailure()) return;
    const nlohmann::json outcome = read_json(run_dir() + "/outcome.json");
    ASSERT_EQ(outcome["outcome"], "preempted") << outcome.dump() << read_file(dir_ / "mpirun.log");
    EXPECT_EQ(outcome["rerun"], true);
    if (before_rerun) before_rerun();
    ASSERT_EQ(run_orch(exp, true, dir_ / "mpirun2.log"), 0) << read_file(dir_ / "mpirun2.log");
    ASSERT_EQ(read_json(run_dir() + "/outcome.json")["outcome"], "complete") << read_file(dir_ / "mpirun2.log");
    expect_each_done_once(run_dir(), {"A-s1", "B-s1"});
    for (const std::string ds : {"A", "B"})
      EXPECT_EQ(job_metrics(run_dir(), ds, 1), train_alone(run_dir(), ds, 1, dir_ / ("alone_" + ds))) << ds;
  }

  // Every job of `jobs` has exactly one done record, and no other job has one.
  static void expect_each_done_once(const std::string& run, const std::vector<std::string>& jobs) {
    std::map<std::string, int> done;
    for (const nlohmann::json& r : ledger_events(run, "done")) ++done[r["job"]];
    for (const auto& j : jobs) EXPECT_EQ(done[j], 1) << j;
    EXPECT_EQ(done.size(), jobs.size());
  }

  TempDir dir_;
};

}  // namespace amnl::test
