// Makespan of the real Scheduler against the lower bound max(longest job, total work / W), with
// fake workers and simulated time (no MPI, no clock): every (FD001..FD004, seed) job, expected
// cost = its training rows (what coordinator.cc gives the scheduler), on W = 2, 4, 8, 16 workers.
// Two cases: each job takes exactly its expected cost, and each takes its cost x a seeded factor
// in [0.6, 1.4] (early stopping makes real lengths differ from the estimate; the scheduler only
// knows the estimate). Prints bound / makespan (goal >= 0.95). Never run by ctest.
//   bench_schedule_sim [SEEDS=5]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "orchestrator/policy/scheduler.h"

using namespace amnl;
using namespace amnl::orch;

namespace {

// Training rows of the NASA files (train_FD00x.txt).
const std::vector<std::pair<std::string, double>> kRows = {
    {"FD001", 20631}, {"FD002", 53759}, {"FD003", 24720}, {"FD004", 61249}};

struct Outcome {
  double makespan = 0, bound = 0;
};

Outcome simulate(int workers, int seeds, bool noisy) {
  std::vector<JobSpec> specs;
  std::map<std::string, double> length;
  std::mt19937_64 rng(1234);
  std::uniform_real_distribution<double> factor(0.6, 1.4);
  double total = 0, longest = 0;
  for (const auto& [ds, rows] : kRows)
    for (int s = 1; s <= seeds; ++s) {
      specs.push_back(JobSpec{JobKey{ds, s}, rows});
      const double len = rows * (noisy ? factor(rng) : 1.0);
      length[specs.back().id()] = len;
      total += len;
      longest = std::max(longest, len);
    }
  // Deadlines far beyond any simulated job: this measures the policy, not failure detection.
  Scheduler sched(specs, SchedulerConfig{1e12, 1e12, 3}, [](const nlohmann::json&) {});
  using Event = std::pair<double, Assignment>;  // finish time, assignment
  auto later = [](const Event& a, const Event& b) { return a.first > b.first; };
  std::priority_queue<Event, std::vector<Event>, decltype(later)> running(later);
  double now = 0;
  for (int r = 1; r <= workers; ++r) {
    sched.add_worker(r, now);
    sched.on_ready(r, now);
  }
  auto dispatch = [&] {
    for (const Assignment& a : sched.dispatch(now)) running.push({now + length.at(a.job), a});
  };
  dispatch();
  ResultReport done;
  done.end = JobEnd::kDone;
  while (!running.empty()) {
    auto [t, a] = running.top();
    running.pop();
    now = t;
    sched.on_result(a.rank, a.job, a.attempt, done, now);
    sched.on_ready(a.rank, now);
    dispatch();
  }
  if (!sched.all_jobs_ended()) std::fprintf(stderr, "bench_schedule_sim: jobs left unscheduled\n");
  return {now, std::max(longest, total / workers)};
}

}  // namespace

int main(int argc, char** argv) {
  const int seeds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  std::printf("%d jobs (FD001..FD004 x %d seeds), cost = training rows\n", 4 * seeds, seeds);
  for (bool noisy : {false, true})
    for (int w : {2, 4, 8, 16}) {
      const Outcome o = simulate(w, seeds, noisy);
      std::printf("RESULT sched seeds=%d workers=%d lengths=%s makespan=%.0f bound=%.0f bound_over_makespan=%.3f\n",
                  seeds, w, noisy ? "estimate_x_0.6-1.4" : "exact", o.makespan, o.bound, o.bound / o.makespan);
    }
  return 0;
}
