#pragma once
// The scheduler driven as the coordinator drives it, without ranks: the policy's cost per job,
// measured by bench_scheduler and bench_coordinator alike.
#include <string>
#include <vector>

#include "bench/bench_timing.h"
#include "orchestrator/policy/scheduler.h"

namespace amnl::bench {

// `jobs` jobs over FD001..FD004 with costs 0..96.
inline std::vector<orch::JobSpec> synthetic_jobs(int jobs) {
  std::vector<orch::JobSpec> s;
  for (int i = 0; i < jobs; ++i)
    s.push_back(orch::JobSpec{orch::JobKey{"FD00" + std::to_string(1 + i % 4), i}, double(i % 97)});
  return s;
}

// Every job through ready -> dispatch -> heartbeat -> progress (with a checkpoint) -> result on
// `workers` workers, records to `sink`; the seconds the loop took.
inline double drive_every_job(int jobs, int workers, const orch::LedgerSink& sink) {
  using namespace orch;
  Scheduler s(synthetic_jobs(jobs), SchedulerConfig{30, 900, 3}, sink);
  double now = 0;
  for (int r = 1; r <= workers; ++r) s.add_worker(r, now);
  ResultReport done;
  done.end = JobEnd::kDone;
  done.metrics = {{"test_rmse", 12.3}, {"test_mae", 9.1}, {"nasa_score", 321.0}};
  const auto t0 = Clock::now();
  while (!s.all_jobs_ended()) {
    now += 1;
    for (int r = 1; r <= workers; ++r) s.on_ready(r, now);
    for (const Assignment& a : s.dispatch(now)) {
      s.on_heartbeat(a.rank, a.job, a.attempt, 1, now);
      ProgressReport p;
      p.epoch = 1;
      p.checkpoint = "jobs/" + a.key.dataset + "/seed_" + std::to_string(a.key.seed) + "/checkpoints/periodic.pt";
      s.on_progress(a.rank, a.job, a.attempt, p, now);
      s.on_result(a.rank, a.job, a.attempt, done, now);
    }
    s.check_deadlines(now);
  }
  return seconds_since(t0);
}

}  // namespace amnl::bench
