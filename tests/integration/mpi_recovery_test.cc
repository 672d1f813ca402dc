// Dead and hung workers under real mpirun: SIGKILL with and without --enable-recovery, SIGSTOP
// past the worker timeout then SIGCONT. Every interrupted job ends equal to an uninterrupted run.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "integration/orch_run_fixture.h"

namespace amnl::test {
namespace {

using nlohmann::json;

class MpiRecoveryTest : public OrchRunTest {
 protected:
  // A job that has a checkpoint at epoch >= min_epoch and is not done; its rank and attempt.
  struct Running {
    std::string job;
    int rank = -1, attempt = 0, epoch = 0;
  };
  std::optional<Running> running_with_checkpoint(int min_epoch) const {
    const auto records = read_ledger(run_dir());
    std::map<std::string, Running> current;
    std::set<std::string> done;
    for (const json& r : records) {
      const std::string ev = r.value("event", ""), job = r.value("job", "");
      if (ev == "assigned") current[job] = Running{job, r["rank"], r["attempt"], 0};
      if (ev == "checkpoint" && current.count(job) && r["attempt"] == current[job].attempt)
        current[job].epoch = r["epoch"];
      if (ev == "done") done.insert(job);
    }
    for (auto& [job, run] : current)
      if (!done.count(job) && run.epoch >= min_epoch) return run;
    return std::nullopt;
  }
};

TEST_F(MpiRecoveryTest, KilledWorkerJobResumesOnALiveRankWithEnableRecovery) {
  const std::string exp = write_orch_experiment(dir_, {"A"}, {1, 2});
  MpiRun run(exp, true, dir_ / "mpirun.log");
  std::optional<Running> victim;
  ASSERT_TRUE(wait_until([&] { return (victim = running_with_checkpoint(2)).has_value(); }, 120)) << run.output();
  const pid_t pid = rank_pid(run_dir(), victim->rank);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_NE(run.wait(240), -1000) << "run did not finish after a worker died";
  const json outcome = read_json(run_dir() + "/outcome.json");
  ASSERT_EQ(outcome["outcome"], "complete") << outcome.dump() << run.output();
  EXPECT_EQ(outcome["dead_ranks"], json::array({victim->rank}));

  const auto dead = ledger_events(run_dir(), "worker_dead");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0]["rank"], victim->rank);
  EXPECT_EQ(dead[0]["job"], victim->job);
  const auto assigned = ledger_events(run_dir(), "assigned", victim->job);
  ASSERT_EQ(assigned.size(), 2u);
  EXPECT_EQ(assigned[1]["attempt"], 2);
  EXPECT_NE(assigned[1]["rank"], victim->rank);
  const auto done = ledger_events(run_dir(), "done", victim->job);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]["attempt"], 2);
  EXPECT_GE(done[0]["resumed_from_epoch"].get<int>(), victim->epoch) << done[0].dump();
  // Nothing was ever assigned to the dead rank after its death.
  bool after_death = false;
  for (const json& r : read_ledger(run_dir())) {
    if (r.value("event", "") == "worker_dead") after_death = true;
    if (after_death && r.value("event", "") == "assigned") {
      EXPECT_NE(r["rank"], victim->rank) << r.dump();
    }
  }
  const int seed = std::stoi(victim->job.substr(victim->job.rfind("-s") + 2));
  EXPECT_EQ(job_metrics(run_dir(), "A", seed), train_alone(run_dir(), "A", seed, dir_ / "alone"));
}

TEST_F(MpiRecoveryTest, KilledWorkerWithoutRecoveryEndsTheRunAndTheRerunResumes) {
  const std::string exp = write_orch_experiment(dir_, {"A"}, {1, 2, 3});
  std::optional<Running> victim;
  std::set<std::string> done_before;
  {
    MpiRun run(exp, false, dir_ / "mpirun.log");
    ASSERT_TRUE(wait_until([&] {
      if (ledger_events(run_dir(), "done").empty()) return false;
      return (victim = running_with_checkpoint(1)).has_value();
    }, 120)) << run.output();
    ASSERT_EQ(::kill(rank_pid(run_dir(), victim->rank), SIGKILL), 0);
    ASSERT_NE(run.wait(60), -1000) << "mpirun did not end the job after a rank died";
    for (const json& d : ledger_events(run_dir(), "done")) done_before.insert(d["job"]);
  }
  const json first = read_json(run_dir() + "/outcome.json");
  EXPECT_NE(first["outcome"], "complete") << first.dump();
  ASSERT_FALSE(done_before.empty());
  ASSERT_FALSE(done_before.count(victim->job));
  const size_t records_before = read_ledger(run_dir()).size();

  ASSERT_EQ(run_orch(exp, true, dir_ / "mpirun2.log"), 0) << read_file(dir_ / "mpirun2.log");
  const json outcome = read_json(run_dir() + "/outcome.json");
  ASSERT_EQ(outcome["outcome"], "complete") << outcome.dump();
  const auto all = read_ledger(run_dir());
  for (size_t i = records_before; i < all.size(); ++i)
    if (all[i].value("event", "") == "assigned") {
      EXPECT_FALSE(done_before.count(all[i]["job"])) << "done job trained again: " << all[i].dump();
    }
  for (int seed : {1, 2, 3})
    EXPECT_EQ(ledger_events(run_dir(), "done", "A-s" + std::to_string(seed)).size(), 1u) << seed;
  const auto done = ledger_events(run_dir(), "done", victim->job);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_GT(done[0]["attempt"].get<int>(), victim->attempt);  // numbering continued
  EXPECT_GE(done[0]["resumed_from_epoch"].get<int>(), 1) << done[0].dump();
  const int seed = std::stoi(victim->job.substr(victim->job.rfind("-s") + 2));
  EXPECT_EQ(job_metrics(run_dir(), "A", seed), train_alone(run_dir(), "A", seed, dir_ / "alone"));
}

TEST_F(MpiRecoveryTest, StoppedWorkerIsReplacedAndItsStaleAttemptChangesNothing) {
  // One job, two workers: the idle one takes over when the busy one is declared dead.
  const std::string exp = write_orch_experiment(dir_, {"A"}, {1}, json{{"recipe", {{"max_epochs", 6}}}});
  MpiRun run(exp, true, dir_ / "mpirun.log");
  std::optional<Running> victim;
  ASSERT_TRUE(wait_until([&] { return (victim = running_with_checkpoint(2)).has_value(); }, 120)) << run.output();
  const pid_t pid = rank_pid(run_dir(), victim->rank);
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  ASSERT_TRUE(wait_until([&] { return ledger_events(run_dir(), "assigned", "A-s1").size() == 2; }, 30))
      << "the hung worker's job was not reassigned";
  const auto dead = ledger_events(run_dir(), "worker_dead");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead[0]["reason"].get<std::string>().find("no message"), std::string::npos) << dead[0].dump();
  // Keep it stopped past its own coordinator watchdog too, then wake it up.
  ::usleep(4500 * 1000);
  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  ASSERT_NE(run.wait(180), -1000) << run.output();
  EXPECT_TRUE(wait_until([&] { return !process_alive(pid); }, 20)) << "the stale worker did not exit";
  const json outcome = read_json(run_dir() + "/outcome.json");
  ASSERT_EQ(outcome["outcome"], "complete") << outcome.dump();
  const auto done = ledger_events(run_dir(), "done", "A-s1");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]["attempt"], 2);
  // The stale attempt recorded nothing after its death, and it knew it was fenced.
  bool after = false;
  for (const json& r : read_ledger(run_dir())) {
    if (r.value("event", "") == "worker_dead") after = true;
    const std::string ev = r.value("event", "");
    const bool from_worker = ev == "progress" || ev == "checkpoint" || ev == "done" || ev == "preempted";
    if (after && from_worker) {
      EXPECT_EQ(r["attempt"], 2) << r.dump();
    }
  }
  const std::string log = read_file(run_dir() + "/logs/rank" + std::to_string(victim->rank) + ".log");
  EXPECT_NE(log.find("lease lost"), std::string::npos) << log;
  EXPECT_EQ(read_json(run_dir() + "/jobs/A/seed_1/lease.json")["attempt"], 2);
  EXPECT_EQ(job_metrics(run_dir(), "A", 1), train_alone(run_dir(), "A", 1, dir_ / "alone"));
}

}  // namespace
}  // namespace amnl::test
