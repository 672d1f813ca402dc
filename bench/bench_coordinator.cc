// Coordinator scale, in process (no MPI): assignments per second through the Scheduler, ledger
// appends per second with fsync (the coordinator's durability cost per state change), decode time
// of a 100,000-record ledger (a rerun's replay; goal < 1 s) and heap bytes per job held by the
// Scheduler. Never run by ctest.   bench_coordinator [TMP_DIR=/tmp]
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bench_timing.h"
#include "bench/scheduler_drive.h"
#include "common/storage.h"
#include "orchestrator/rundir/ledger.h"
#include "orchestrator/policy/scheduler.h"

using namespace amnl;
using namespace amnl::orch;
using nlohmann::json;
using amnl::bench::Clock;
using amnl::bench::seconds_since;

using amnl::bench::drive_every_job;
using amnl::bench::synthetic_jobs;

int main(int argc, char** argv) {
  const std::string tmp = argc > 1 ? argv[1] : "/tmp";

  // Assignments per second: the policy alone, records counted and dropped.
  {
    const int jobs = 20000, workers = 500;
    size_t records = 0;
    const double sec = drive_every_job(jobs, workers, [&](const json&) { ++records; });
    std::printf("RESULT coord assignments_per_s=%.0f jobs=%d workers=%d records_per_job=%.1f\n", jobs / sec, jobs,
                workers, double(records) / jobs);
  }

  // Ledger appends with fsync, on the file system of TMP_DIR.
  std::vector<json> recorded;
  drive_every_job(20000, 500, [&](const json& r) { recorded.push_back(r); });
  {
    const std::string dir = tmp + "/bench-coord-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    Ledger ledger(make_posix_storage(), dir + "/ledger.jsonl");
    const int n = 400;
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) (void)ledger.append(recorded[static_cast<size_t>(i)]);
    const double sec = seconds_since(t0);
    std::printf("RESULT coord ledger_appends_per_s=%.0f fsync=yes dir=%s\n", n / sec, tmp.c_str());
    std::filesystem::remove_all(dir);
  }

  // Replay: decode 100,000 real scheduler records (with time stamps, as Ledger::append writes).
  {
    std::string bytes;
    size_t n = 0;
    for (json r : recorded) {
      if (n == 100000) break;
      r["time"] = "2025-01-01T00:00:00.000Z";
      bytes += encode_ledger_record(r);
      ++n;
    }
    const auto t0 = Clock::now();
    const LedgerReplay replay = decode_ledger(bytes);
    const double sec = seconds_since(t0);
    std::printf("RESULT coord replay_records=%zu replay_mb=%.1f replay_s=%.3f goal_s=1 ratio_to_goal=%.3f\n",
                replay.records.size(), bytes.size() / 1e6, sec, sec / 1.0);
    // Rebuilding the scheduler state from those records (the other half of a rerun's start).
    const auto t1 = Clock::now();
    Scheduler again(synthetic_jobs(20000), SchedulerConfig{30, 900, 3}, [](const json&) {}, replay.records);
    std::printf("RESULT coord scheduler_from_replay_s=%.3f jobs=20000\n", seconds_since(t1));
  }

  // Heap bytes per job held by a Scheduler of 100,000 queued jobs.
  {
    const int jobs = 100000;
    auto s = synthetic_jobs(jobs);
    const size_t before = mallinfo2().uordblks;
    auto* sched = new Scheduler(std::move(s), SchedulerConfig{30, 900, 3}, [](const json&) {});
    const size_t after = mallinfo2().uordblks;
    std::printf("RESULT coord heap_bytes_per_job=%.0f jobs=%d\n", double(after - before) / jobs, jobs);
    delete sched;
  }
  return 0;
}
