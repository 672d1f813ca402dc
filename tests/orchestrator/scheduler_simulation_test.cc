// The policy under a storm: 1000 jobs, 200 fake workers, random deaths, hangs, preemptions and
// job failures, driven by a fake clock. Invariants: every job ends done or failed exactly once,
// none is lost, no result is accepted twice, nothing is assigned to a dead worker, and stale
// attempts (hung workers that come back) change nothing.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "orchestrator/policy/clock.h"
#include "orchestrator/policy/scheduler.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

enum class Fate { kFinish, kFail, kDie, kHang, kPreempt };

struct FakeWorker {
  int rank = 0;
  bool dead = false;      // the process is gone: sends nothing ever again
  bool hung = false;      // silent (SIGSTOP-like) until wake_at, then reports a stale result
  double wake_at = 0;
  bool busy = false;
  std::string job;
  int attempt = 0;
  double end_at = 0;
  Fate fate = Fate::kFinish;
  int64_t counter = 0;
};

TEST(SchedulerSimulationTest, ThousandJobsTwoHundredWorkersUnderRandomFaults) {
  constexpr int kJobs = 1000, kWorkers = 200;
  std::mt19937_64 rng(20261128);
  std::vector<JobSpec> jobs;
  for (int i = 0; i < kJobs; ++i)
    jobs.push_back(JobSpec{JobKey{"DS" + std::to_string(i % 7), i}, static_cast<double>(rng() % 1000)});
  FakeClock clock;
  std::vector<json> records;
  const SchedulerConfig cfg{5.0, 30.0, 3};
  Scheduler s(jobs, cfg, [&](const json& r) { records.push_back(r); });

  std::map<int, FakeWorker> workers;
  for (int r = 1; r <= kWorkers; ++r) {
    s.add_worker(r, clock.now());
    workers[r].rank = r;
    s.on_ready(r, clock.now());
  }
  std::set<int> declared_dead;
  int assignments_to_dead = 0, stale_accepted = 0;
  std::uniform_real_distribution<double> uni(0, 1);

  for (int step = 0; step < 200000 && !s.all_jobs_ended(); ++step) {
    clock.advance(0.5);
    const double now = clock.now();
    for (auto& [rank, w] : workers) {
      if (w.dead) continue;
      if (w.hung) {
        if (now < w.wake_at) continue;
        // Wakes up: its stale attempt reports; it must be ignored.
        ResultReport r;
        r.end = JobEnd::kDone;
        if (s.on_result(rank, w.job, w.attempt, r, now)) ++stale_accepted;
        w.hung = false;
        w.dead = true;  // its watchdog makes it exit
        continue;
      }
      if (!w.busy) {
        s.on_heartbeat(rank, "", 0, -1, now);
        s.on_ready(rank, now);
        continue;
      }
      if (now < w.end_at) {
        w.counter += 1;
        s.on_heartbeat(rank, w.job, w.attempt, w.counter, now);
        if (w.counter % 4 == 0) {
          ProgressReport p;
          p.epoch = static_cast<int>(w.counter / 4);
          p.batches_done = w.counter;
          s.on_progress(rank, w.job, w.attempt, p, now);
        }
        continue;
      }
      ResultReport r;
      switch (w.fate) {
        case Fate::kFinish: r.end = JobEnd::kDone; r.metrics = {{"rmse", 1}}; break;
        case Fate::kFail: r.end = JobEnd::kFailed; r.reason = "NaN loss"; break;
        case Fate::kPreempt: r.end = JobEnd::kPreempted; break;
        case Fate::kDie: w.dead = true; continue;  // silently gone
        case Fate::kHang: w.hung = true; w.wake_at = now + 60; continue;
      }
      s.on_result(rank, w.job, w.attempt, r, now);
      w.busy = false;
      s.on_ready(rank, now);
    }
    for (int r : s.check_deadlines(now)) declared_dead.insert(r);
    for (const Assignment& a : s.dispatch(now)) {
      FakeWorker& w = workers.at(a.rank);
      if (declared_dead.count(a.rank) || w.dead || w.hung) ++assignments_to_dead;
      w.busy = true;
      w.job = a.job;
      w.attempt = a.attempt;
      w.end_at = now + 1 + uni(rng) * 20;
      w.counter = 0;
      const double x = uni(rng);
      // Few enough deaths that workers remain: ~0.6% of attempts kill their worker.
      w.fate = x < 0.003 ? Fate::kDie : x < 0.006 ? Fate::kHang : x < 0.05 ? Fate::kPreempt
             : x < 0.15 ? Fate::kFail : Fate::kFinish;
    }
  }
  ASSERT_TRUE(s.all_jobs_ended()) << "jobs were lost: " << s.counts().queued << " queued, "
                                  << s.counts().running << " running";
  EXPECT_EQ(assignments_to_dead, 0);
  EXPECT_EQ(stale_accepted, 0);
  std::map<std::string, int> ended;
  std::map<std::string, int> done_count;
  for (const auto& r : records) {
    if (r["event"] == "done" || r["event"] == "failed") ended[r["job"]]++;
    if (r["event"] == "done") done_count[r["job"]]++;
  }
  ASSERT_EQ(ended.size(), static_cast<size_t>(kJobs));
  for (const auto& [job, n] : ended) EXPECT_EQ(n, 1) << job;
  for (const auto& [job, n] : done_count) EXPECT_EQ(n, 1) << job;
  const Counts c = s.counts();
  EXPECT_EQ(c.done + c.failed, kJobs);
  EXPECT_GT(c.failed, 0);  // the fault mix did exercise max_attempts
  EXPECT_GT(declared_dead.size(), 0u);
  // Every assignment before a worker's declared death was the last one it got.
  std::map<int, double> death_index;
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i]["event"] == "worker_dead") death_index[records[i]["rank"].get<int>()] = static_cast<double>(i);
  }
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i]["event"] != "assigned") continue;
    auto it = death_index.find(records[i]["rank"].get<int>());
    if (it != death_index.end()) {
      EXPECT_LT(static_cast<double>(i), it->second) << records[i].dump();
    }
  }
}

}  // namespace
}  // namespace amnl::orch
