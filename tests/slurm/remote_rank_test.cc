// Beyond one machine rank 0 cannot check a worker's PID: only missed heartbeats tell it the
// worker is gone. `amnl run --treat-ranks-remote` makes every worker look remote, so that path is
// tested here with real mpirun and a real SIGKILL: the dead worker's job is reassigned after
// worker_timeout_s, and not before.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "integration/orch_helpers.h"
#include "slurm/slurm_harness.h"

namespace amnl::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Kills the ranks that mpirun's group may not contain, whatever happened.
struct RankReaper {
  std::string run_dir;
  ~RankReaper() {
    for (int r = 0; r < 8; ++r) {
      const pid_t p = rank_pid(run_dir, r);
      if (p > 0 && process_alive(p)) {
        ::kill(p, SIGCONT);
        ::kill(p, SIGKILL);
      }
    }
  }
};

TEST(RemoteRanks, KilledRemoteWorkerIsDeclaredDeadAfterWorkerTimeoutNotBefore) {
  TempDir dir;
  make_orch_data(dir / "data");
  const double timeout_s = 8;
  const std::string exp = write_orch_experiment(
      dir, {"A"}, {1, 2, 3},
      {{"recipe", {{"max_epochs", 6}}}, {"fault", {{"worker_timeout_s", timeout_s}, {"progress_timeout_s", 60}}}});
  const std::string run_dir = dir / "run";
  RankReaper reaper{run_dir};
  Spawned mpirun({"mpirun", "--allow-run-as-root", "--oversubscribe", "--enable-recovery", "-np", "3", amnl_binary(),
                  "run", exp, "--treat-ranks-remote"},
                 dir / "mpirun.log");

  // Rank 1 is training (a checkpoint written): kill it.
  std::string job;
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& r : ledger_events(run_dir, "checkpoint"))
          if (r.value("rank", 0) == 1) return job = r.value("job", ""), true;
        return false;
      },
      120))
      << read_file(dir / "mpirun.log");
  const pid_t victim = rank_pid(run_dir, 1);
  ASSERT_GT(victim, 0);
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  const auto killed = Clock::now();
  auto since = [&] { return std::chrono::duration<double>(Clock::now() - killed).count(); };
  auto reassigned = [&] {
    for (const auto& r : ledger_events(run_dir, "assigned", job))
      if (r.value("attempt", 0) >= 2) return true;
    return false;
  };
  auto dead = [&] {
    for (const auto& r : ledger_events(run_dir, "worker_dead"))
      if (r.value("rank", 0) == 1) return true;
    return false;
  };

  // Not before: the process is gone at once, but a remote rank's PID means nothing here.
  while (since() < timeout_s - 1.0) {
    ASSERT_FALSE(dead()) << "rank 1 declared dead " << since() << " s after the kill, before worker_timeout_s "
                         << timeout_s << ": the PID was checked";
    ASSERT_FALSE(reassigned()) << job << " reassigned " << since() << " s after the kill";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // After: declared dead for silence, its job given to rank 2 as a new attempt.
  ASSERT_TRUE(wait_until(dead, 30)) << read_file(dir / "mpirun.log");
  const double dead_after = since();
  EXPECT_GE(dead_after, timeout_s - 1.0);
  json rec;
  for (const auto& r : ledger_events(run_dir, "worker_dead"))
    if (r.value("rank", 0) == 1) rec = r;
  EXPECT_NE(rec.dump().find("no message"), std::string::npos) << rec.dump();
  ASSERT_TRUE(wait_until(reassigned, 30)) << read_file(dir / "mpirun.log");
  std::cout << "rank 1 SIGKILLed; declared dead " << dead_after << " s later (worker_timeout_s " << timeout_s << ")\n";

  EXPECT_EQ(mpirun.wait(300), 0) << read_file(dir / "mpirun.log");
  const json outcome = read_json(run_dir + "/outcome.json");
  EXPECT_EQ(outcome.value("outcome", ""), "complete") << outcome.dump();
  EXPECT_EQ(outcome["jobs"].value("done", 0), 3) << outcome.dump();
}

}  // namespace
}  // namespace amnl::test
