// Faults under real mpirun that the first tests did not name: SIGINT and SIGUSR2 to mpirun, a
// hung trainer in a live rank, two sessions on one run dir, the run dir's disk filling up, and
// a rank on a node that cannot see the data.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "integration/orch_run_fixture.h"

namespace amnl::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// What fills a small disk, for a failure message: every file with its size, the largest first.
std::string disk_listing(const std::string& root) {
  std::vector<std::pair<uintmax_t, std::string>> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec)) files.emplace_back(it->file_size(ec), it->path().string());
  std::sort(files.rbegin(), files.rend());
  std::string out = "\nfiles on the small disk:\n";
  for (const auto& [size, path] : files) out += "  " + std::to_string(size) + "  " + path + "\n";
  return out;
}

class MpiHardeningTest : public OrchRunTest {};

// mpirun turns SIGINT (Ctrl-C) into SIGTERM to every rank and SIGKILL a second later.
TEST_F(MpiHardeningTest, SigintToMpirunLeavesAPreemptedOutcomeAndTheRerunResumesExactly) {
  signal_mpirun_then_rerun(SIGINT);
}

// SIGUSR2 (a Slurm warning signal) is forwarded to every rank: checkpoint, report, stop.
TEST_F(MpiHardeningTest, Sigusr2ToMpirunCheckpointsEveryJobAndTheRerunResumesExactly) {
  signal_mpirun_then_rerun(SIGUSR2);
  for (const std::string ds : {"A", "B"})
    EXPECT_EQ(ledger_events(run_dir(), "preempted", ds + "-s1").size(), 1u) << ds;
}

// A rank whose MPI thread keeps heartbeating while its trainer is stuck for good: declared hung
// after progress_timeout_s, its job resumes on another rank, and mpirun still ends.
TEST_F(MpiHardeningTest, AHungTrainerInALiveRankIsDeclaredDeadAndItsJobFinishesElsewhere) {
  for (const char* kind : {"test_", "RUL_"}) fs::copy_file(dir_ / ("data/" + std::string(kind) + "A.txt"),
                                                           dir_ / ("data/" + std::string(kind) + "H.txt"));
  write_file(dir_ / "data/train_H.txt", "HANG\n" + read_file(dir_ / "data/train_A.txt"));
  const std::string exp = write_orch_experiment(
      dir_, {"H", "A"}, {1},
      json{{"recipe", {{"max_epochs", 4}}},
           {"fault", {{"progress_timeout_s", 3}, {"worker_timeout_s", 3}, {"coordinator_timeout_s", 4},
                      {"stop_grace_s", 3}}}});
  MpiRun run(exp, true, dir_ / "mpirun.log", 3, {"--fake-trainer", "0.3"});
  ASSERT_NE(run.wait(120), -1000) << "mpirun did not end with a hung rank: " << run.output();
  ASSERT_EQ(read_json(run_dir() + "/outcome.json")["outcome"], "complete") << run.output();
  const auto assigned = ledger_events(run_dir(), "assigned", "H-s1");
  ASSERT_EQ(assigned.size(), 2u);
  const int hung_rank = assigned[0]["rank"];
  const auto dead = ledger_events(run_dir(), "worker_dead");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0]["rank"], hung_rank);
  EXPECT_NE(dead[0]["reason"].get<std::string>().find("no progress"), std::string::npos) << dead[0].dump();
  const auto done = ledger_events(run_dir(), "done", "H-s1");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]["attempt"], 2);
  EXPECT_NE(done[0]["rank"], hung_rank);
  expect_each_done_once(run_dir(), {"H-s1", "A-s1"});
}

// Regression: a second `amnl run` on a live run dir joined it and trained every job twice.
TEST_F(MpiHardeningTest, ASecondSessionOnALiveRunDirIsRefusedAndWritesNothing) {
  const std::string exp = write_orch_experiment(dir_, {"A", "B"}, {1, 2}, json{{"recipe", {{"max_epochs", 6}}}});
  MpiRun first(exp, true, dir_ / "first.log", 3, {"--fake-trainer", "0.3"});
  ASSERT_TRUE(wait_until([&] { return !ledger_events(run_dir(), "assigned").empty(); }, 60)) << first.output();
  const std::string ledger_before = read_file(run_dir() + "/ledger.jsonl");
  const std::string log_before = read_file(run_dir() + "/logs/rank0.log");
  {
    MpiRun second(exp, true, dir_ / "second.log", 3, {"--fake-trainer", "0.3"});
    second.set_run_dir(dir_ / "none");  // its cleanup must not kill the first session's ranks
    ASSERT_NE(second.wait(60), -1000) << second.output();
    EXPECT_NE(second.output().find("is in use by session"), std::string::npos) << second.output();
    EXPECT_NE(second.output().find("pid " + std::to_string(rank_pid(run_dir(), 0))), std::string::npos)
        << second.output();
  }
  EXPECT_TRUE(first.running()) << "the refusal must not disturb the live session";
  EXPECT_EQ(read_file(run_dir() + "/logs/rank0.log").substr(0, log_before.size()), log_before);
  ASSERT_NE(first.wait(120), -1000) << first.output();
  ASSERT_EQ(read_json(run_dir() + "/outcome.json")["outcome"], "complete") << first.output();
  EXPECT_EQ(ledger_events(run_dir(), "session_started").size(), 1u);
  EXPECT_EQ(ledger_events(run_dir(), "assigned").size(), 4u);
  expect_each_done_once(run_dir(), {"A-s1", "A-s2", "B-s1", "B-s2"});
  EXPECT_EQ(read_file(run_dir() + "/ledger.jsonl").substr(0, ledger_before.size()), ledger_before);
}

// The run dir's disk fills up mid-run (a real tmpfs): the run neither hangs nor loses a record
// or a job's retries; once there is space, the same command completes with the results of an
// undisturbed run and every job done exactly once.
TEST_F(MpiHardeningTest, TheRunDirDiskFillingUpStopsCleanlyAndTheRerunCompletes) {
  SmallDisk disk(8 << 20);
  if (!disk.ok()) GTEST_SKIP() << disk.why();
  const std::vector<std::string> jobs{"A-s1", "A-s2", "B-s1", "B-s2"};
  const json patch{{"run_dir", disk / "run"},
                   {"recipe", {{"max_epochs", 8}}},
                   {"fault", {{"max_attempts", 1}}}};  // one charged failure would end a job for good
  const std::string exp = write_orch_experiment(dir_, {"A", "B"}, {1, 2}, patch);
  const std::vector<std::string> fake{"--fake-trainer", "0.25", "--ledger-failure-grace", "1"};
  {
    MpiRun run(exp, true, dir_ / "mpirun.log", 3, fake);
    run.set_run_dir(disk / "run");
    ASSERT_TRUE(wait_until([&] { return !ledger_events(disk / "run", "done").empty(); }, 120)) << run.output();
    disk.fill();
    ASSERT_NE(run.wait(120), -1000) << "hung on a full disk: " << run.output();
  }
  disk.release();
  MpiRun rerun(exp, true, dir_ / "mpirun2.log", 3, fake);
  rerun.set_run_dir(disk / "run");
  ASSERT_NE(rerun.wait(180), -1000) << rerun.output();
  const json outcome = read_json(disk / "run/outcome.json");
  ASSERT_EQ(outcome["outcome"], "complete") << outcome.dump() << disk_listing(disk.path()) << rerun.output();
  EXPECT_TRUE(ledger_events(disk / "run", "failed").empty());
  expect_each_done_once(disk / "run", jobs);

  // The same experiment undisturbed, elsewhere: the fake trainer's metrics are a pure function of
  // the epochs trained, so a resume that lost or repeated an epoch would differ.
  TempDir calm;
  make_orch_data(calm / "data");
  const std::string calm_exp = write_orch_experiment(calm, {"A", "B"}, {1, 2}, json{{"recipe", {{"max_epochs", 8}}}});
  ASSERT_EQ(run_orch(calm_exp, true, calm / "mpirun.log", {"--fake-trainer", "0.05"}), 0);
  for (const std::string ds : {"A", "B"})
    for (int seed : {1, 2}) {
      json a = read_json(disk / ("run/jobs/" + ds + "/seed_" + std::to_string(seed) + "/metrics.json"));
      json b = read_json(calm / ("run/jobs/" + ds + "/seed_" + std::to_string(seed) + "/metrics.json"));
      EXPECT_EQ(a, b) << ds << seed;
    }
}

// A node without the data mount: rank 2 runs in its own mount namespace where the data dir is an
// empty tmpfs, so every job it gets fails at once ("cannot open .../train_A.txt"), and it is
// always the first rank to ask for work again. Regression: it took every job back and failed
// them all for good (max_attempts 2) while rank 1 trained. Now no job goes back to the rank it
// failed on, rank 2 is excluded once a job it failed finished elsewhere, and rank 1 trains all.
TEST_F(MpiHardeningTest, ARankOnANodeWithoutTheDataFailsNoJobForGood) {
  const CommandResult can = run_command({"unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"});
  if (can.exit_code != 0) GTEST_SKIP() << "no private mount namespace here (unshare -m): " << can.output;
  const std::vector<std::string> jobs{"A-s1", "A-s2", "A-s3", "A-s4", "A-s5"};
  const std::string exp = write_orch_experiment(dir_, {"A"}, {1, 2, 3, 4, 5}, json{{"fault", {{"max_attempts", 2}}}});
  const std::string data = dir_ / "data";
  Spawned mpirun({"mpirun", "--allow-run-as-root", "--oversubscribe", "--enable-recovery",
                  "-np", "2", amnl_binary(), "run", exp, ":",
                  "-np", "1", "unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs \"$0\" && exec \"$1\" run \"$2\"",
                  data, amnl_binary(), exp},
                 dir_ / "mpirun.log");
  ASSERT_NE(mpirun.wait(300), -1000) << read_file(dir_ / "mpirun.log");
  const std::string log = read_file(dir_ / "mpirun.log");
  const json outcome = read_json(run_dir() + "/outcome.json");
  ASSERT_EQ(outcome["outcome"], "complete") << outcome.dump() << log;
  EXPECT_TRUE(ledger_events(run_dir(), "failed").empty()) << log;
  expect_each_done_once(run_dir(), jobs);
  for (const json& r : ledger_events(run_dir(), "done")) EXPECT_EQ(r["rank"], 1) << r.dump();
  // Rank 2 did fail attempts (it really was broken), each job at most once, with the reason.
  const auto failures = ledger_events(run_dir(), "attempt_failed");
  ASSERT_FALSE(failures.empty()) << log;
  std::set<std::string> failed_jobs;
  for (const json& r : failures) {
    EXPECT_TRUE(failed_jobs.insert(r["job"].get<std::string>()).second) << "failed twice: " << r.dump();
    EXPECT_NE(r["reason"].get<std::string>().find("train_A.txt"), std::string::npos) << r.dump();
  }
  const auto excluded = ledger_events(run_dir(), "worker_excluded");
  ASSERT_EQ(excluded.size(), 1u) << log;
  EXPECT_EQ(excluded[0]["rank"], 2);
  EXPECT_NE(log.find("rank 2 excluded"), std::string::npos) << log;
  // amnl status says so too.
  const CommandResult status = run_command({amnl_binary(), "status", run_dir()});
  EXPECT_NE(status.output.find("(1 excluded)"), std::string::npos) << status.output;
}

}  // namespace
}  // namespace amnl::test
