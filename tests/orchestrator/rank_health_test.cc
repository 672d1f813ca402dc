// The scheduler with a broken node among healthy ones (RankHealth): a rank that fails every job
// at once must not burn the jobs' attempts, and a job that fails everywhere must not get the
// healthy ranks excluded. Driven in-process by simulated time.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "orchestrator/policy/clock.h"
#include "orchestrator/policy/scheduler.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

// How a rank treats the job it gets: a failure reason ("" = it trains it) and the seconds it takes.
struct Behaviour {
  std::function<std::string(const std::string& job)> failure = [](const std::string&) { return ""; };
  double seconds = 10;
};

struct Simulation {
  struct Running {
    std::string job;
    int attempt = 0;
    double ends_at = 0;
    std::string failure;  // "" : it trains the job
  };
  Simulation(std::vector<JobSpec> jobs, int max_attempts, std::map<int, Behaviour> ranks)
      : behaviours(std::move(ranks)),
        s(std::move(jobs), SchedulerConfig{1e9, 1e9, max_attempts}, [this](const json& r) { records.push_back(r); }) {
    for (const auto& [rank, b] : behaviours) s.add_worker(rank, clock.now());
  }

  // Runs until every job ended (or nothing can move any more); returns the steps taken.
  int run(int max_steps = 10000) {
    int step = 0;
    for (; step < max_steps && !s.all_jobs_ended(); ++step) {
      for (const auto& [rank, b] : behaviours) {
        if (!s.may_send(rank)) continue;
        auto busy = running.find(rank);
        if (busy == running.end()) {
          s.on_ready(rank, clock.now());
          continue;
        }
        const Running& job = busy->second;
        if (clock.now() < job.ends_at) continue;
        ResultReport r;
        r.reason = job.failure;
        r.end = r.reason.empty() ? JobEnd::kDone : JobEnd::kFailed;
        EXPECT_TRUE(s.on_result(rank, job.job, job.attempt, r, clock.now())) << job.job;
        running.erase(busy);
        s.on_ready(rank, clock.now());
      }
      for (const Assignment& a : s.dispatch(clock.now())) {
        const Behaviour& b = behaviours.at(a.rank);
        // A failing attempt ends at once; one that trains takes its time.
        std::string failure = b.failure(a.job);
        const double ends_at = clock.now() + (failure.empty() ? b.seconds : 0.5);
        running[a.rank] = Running{a.job, a.attempt, ends_at, std::move(failure)};
        assigned_to[a.rank].push_back(a.job);
      }
      clock.advance(1);
    }
    return step;
  }

  std::vector<json> events(const std::string& ev) const {
    std::vector<json> out;
    for (const auto& r : records)
      if (r["event"] == ev) out.push_back(r);
    return out;
  }

  std::map<int, Behaviour> behaviours;
  FakeClock clock;
  std::vector<json> records;
  Scheduler s;
  std::map<int, Running> running;
  std::map<int, std::vector<std::string>> assigned_to;
};

std::vector<JobSpec> jobs_of(const std::vector<std::string>& datasets, int seeds) {
  std::vector<JobSpec> out;
  for (const auto& ds : datasets)
    for (int seed = 1; seed <= seeds; ++seed) out.push_back(JobSpec{JobKey{ds, seed}, 1.0});
  return out;
}

Behaviour broken_node() {
  Behaviour b;
  b.failure = [](const std::string&) { return "cannot open /data/train_FD001.txt: No such file or directory"; };
  return b;
}

// Regression: the broken rank, always the first to ask again, took every job back and failed
// each of them for good within seconds (max_attempts 2), while the healthy ranks were busy.
TEST(RankHealthTest, ARankThatFailsEveryJobIsExcludedAndTheJobsFinishElsewhere) {
  Simulation sim(jobs_of({"FD001", "FD002"}, 5), /*max_attempts=*/2,
                 {{1, broken_node()}, {2, Behaviour{}}, {3, Behaviour{}}});
  sim.run();
  const Counts c = sim.s.counts();
  EXPECT_EQ(c.done, 10);
  EXPECT_EQ(c.failed, 0);
  EXPECT_TRUE(sim.events("failed").empty());
  ASSERT_EQ(sim.events("worker_excluded").size(), 1u);
  const json excluded = sim.events("worker_excluded")[0];
  EXPECT_EQ(excluded["rank"], 1);
  EXPECT_NE(excluded["reason"].get<std::string>().find("No such file"), std::string::npos) << excluded.dump();
  EXPECT_TRUE(sim.s.excluded(1));
  EXPECT_EQ(c.excluded_workers, 1);
  EXPECT_EQ(c.usable_workers(), 2);
  // No job went back to the rank it had failed on, and no job failed twice.
  std::map<std::string, int> failures;
  for (const json& r : sim.events("attempt_failed")) ++failures[r["job"].get<std::string>()];
  for (const auto& [job, n] : failures) EXPECT_EQ(n, 1) << job;
  const auto& on_broken = sim.assigned_to[1];
  EXPECT_EQ(std::set<std::string>(on_broken.begin(), on_broken.end()).size(), on_broken.size());
  // After its exclusion the broken rank got nothing more.
  size_t excluded_at = 0, assigned_before = 0;
  for (size_t i = 0; i < sim.records.size(); ++i)
    if (sim.records[i]["event"] == "worker_excluded") excluded_at = i;
  for (size_t i = 0; i < sim.records.size(); ++i)
    if (sim.records[i]["event"] == "assigned" && sim.records[i]["rank"] == 1) {
      EXPECT_LT(i, excluded_at) << sim.records[i].dump();
      ++assigned_before;
    }
  EXPECT_EQ(assigned_before, on_broken.size());
}

// A bad data file fails its jobs on every rank: they fail for good, with their reason, on
// different ranks, and no rank is excluded for it; the other jobs finish.
TEST(RankHealthTest, JobsThatFailEverywhereExcludeNoRank) {
  Behaviour bad_fd002;
  bad_fd002.failure = [](const std::string& job) {
    return job.rfind("FD002", 0) == 0 ? "train_FD002.txt line 7: 25 columns expected, 3 found" : "";
  };
  Simulation sim(jobs_of({"FD001", "FD002"}, 4), /*max_attempts=*/3,
                 {{1, bad_fd002}, {2, bad_fd002}, {3, bad_fd002}});
  sim.run();
  EXPECT_EQ(sim.s.counts().done, 4);
  EXPECT_EQ(sim.s.counts().failed, 4);
  EXPECT_TRUE(sim.events("worker_excluded").empty());
  for (const auto& [id, j] : sim.s.jobs()) {
    if (id.rfind("FD002", 0) != 0) continue;
    EXPECT_EQ(j.state, JobState::kFailed) << id;
    EXPECT_NE(j.reason.find("25 columns expected"), std::string::npos) << id << ": " << j.reason;
  }
  // Each FD002 job's three attempts ran on three different ranks.
  std::map<std::string, std::set<int>> ranks_of;
  for (const json& r : sim.events("assigned"))
    if (r["job"].get<std::string>().rfind("FD002", 0) == 0) ranks_of[r["job"]].insert(r["rank"].get<int>());
  for (const auto& [job, ranks] : ranks_of) EXPECT_EQ(ranks.size(), 3u) << job;
}

// With one worker a failed job still gets its retries (there is no other rank to leave it to).
TEST(RankHealthTest, ASingleWorkerStillRetriesItsOwnFailures) {
  int calls = 0;
  Behaviour flaky;
  flaky.failure = [&calls](const std::string&) { return ++calls <= 2 ? "NaN loss" : ""; };
  Simulation sim(jobs_of({"FD001"}, 1), /*max_attempts=*/3, {{1, flaky}});
  sim.run();
  EXPECT_EQ(sim.s.counts().done, 1);
  EXPECT_TRUE(sim.events("worker_excluded").empty());
}

}  // namespace
}  // namespace amnl::orch
