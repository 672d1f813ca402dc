#include <gtest/gtest.h>

#include "orchestrator/policy/clock.h"
#include "orchestrator/policy/scheduler.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

struct Harness {
  explicit Harness(std::vector<JobSpec> jobs, SchedulerConfig cfg = {5, 20, 3},
                   const std::vector<json>& replayed = {})
      : s(std::move(jobs), cfg, [this](const json& r) { records.push_back(r); }, replayed) {}
  std::vector<json> events(const std::string& ev) const {
    std::vector<json> out;
    for (const auto& r : records)
      if (r["event"] == ev) out.push_back(r);
    return out;
  }
  FakeClock clock;
  std::vector<json> records;
  Scheduler s;
};

std::vector<JobSpec> specs(std::initializer_list<std::pair<const char*, double>> l, int seeds = 1) {
  std::vector<JobSpec> out;
  for (auto& [ds, cost] : l)
    for (int seed = 1; seed <= seeds; ++seed) out.push_back(JobSpec{JobKey{ds, seed}, cost});
  return out;
}

// A full disk met while FD001-s1 ran (max_attempts 1): no failure charged to the job, which is
// queued again, nothing failed, one storage_failed record; and the same after a replay.
void expect_a_storage_failure_charged_to_no_job(const Harness& h) {
  EXPECT_NE(h.s.storage_failure().find("No space left"), std::string::npos);
  EXPECT_EQ(h.s.jobs().at("FD001-s1").failures, 0);
  EXPECT_EQ(h.s.counts().queued, 1);
  EXPECT_TRUE(h.events("failed").empty());
  EXPECT_EQ(h.events("storage_failed").size(), 1u);
  Harness again(specs({{"FD001", 1}}), SchedulerConfig{5, 20, 1}, h.records);
  EXPECT_EQ(again.s.jobs().at("FD001-s1").failures, 0);
  EXPECT_EQ(again.s.counts().queued, 1);
}

ResultReport done() {
  ResultReport r;
  r.end = JobEnd::kDone;
  r.metrics = {{"rmse", 1.0}};
  return r;
}

TEST(SchedulerTest, LongestJobsFirstAndOneJobPerWorker) {
  Harness h(specs({{"FD001", 100}, {"FD002", 300}, {"FD003", 200}}));
  h.s.add_worker(1, h.clock.now());
  h.s.add_worker(2, h.clock.now());
  EXPECT_TRUE(h.s.dispatch(h.clock.now()).empty());  // nobody asked yet
  h.s.on_ready(1, h.clock.now());
  h.s.on_ready(2, h.clock.now());
  auto a = h.s.dispatch(h.clock.now());
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].job, "FD002-s1");
  EXPECT_EQ(a[1].job, "FD003-s1");
  EXPECT_EQ(a[0].attempt, 1);
  EXPECT_TRUE(h.s.dispatch(h.clock.now()).empty());
  h.s.on_ready(1, h.clock.now());  // a ready from a busy worker changes nothing
  EXPECT_TRUE(h.s.dispatch(h.clock.now()).empty());
  EXPECT_TRUE(h.s.on_result(1, "FD002-s1", 1, done(), h.clock.now()));
  h.s.on_ready(1, h.clock.now());
  a = h.s.dispatch(h.clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].job, "FD001-s1");
}

TEST(SchedulerTest, SilentWorkerIsDeclaredDeadAndItsJobResumesElsewhere) {
  Harness h(specs({{"FD001", 1}}));
  h.s.add_worker(1, h.clock.now());
  h.s.add_worker(2, h.clock.now());
  h.s.on_ready(1, h.clock.now());
  auto a = h.s.dispatch(h.clock.now());
  ASSERT_EQ(a.size(), 1u);
  h.clock.advance(4);
  h.s.on_heartbeat(2, "", 0, -1, h.clock.now());
  h.s.on_ready(2, h.clock.now());
  EXPECT_TRUE(h.s.check_deadlines(h.clock.now()).empty());
  h.clock.advance(2);  // rank 1 silent for 6 s > 5 s
  h.s.on_heartbeat(2, "", 0, -1, h.clock.now());
  EXPECT_EQ(h.s.check_deadlines(h.clock.now()), std::vector<int>{1});
  EXPECT_FALSE(h.s.may_send(1));
  a = h.s.dispatch(h.clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].rank, 2);
  EXPECT_EQ(a[0].attempt, 2);
  // The stale attempt's result and progress are ignored.
  EXPECT_FALSE(h.s.on_result(1, "FD001-s1", 1, done(), h.clock.now()));
  EXPECT_FALSE(h.s.on_progress(1, "FD001-s1", 1, ProgressReport{}, h.clock.now()));
  EXPECT_TRUE(h.events("done").empty());
  EXPECT_EQ(h.events("worker_dead").size(), 1u);
  EXPECT_EQ(h.events("attempt_failed").size(), 1u);
  EXPECT_TRUE(h.s.on_result(2, "FD001-s1", 2, done(), h.clock.now()));
  EXPECT_TRUE(h.s.all_jobs_ended());
}

TEST(SchedulerTest, AliveButNoProgressIsHung) {
  Harness h(specs({{"FD001", 1}}));
  h.s.add_worker(1, h.clock.now());
  h.s.on_ready(1, h.clock.now());
  ASSERT_EQ(h.s.dispatch(h.clock.now()).size(), 1u);
  for (int i = 0; i < 19; ++i) {
    h.clock.advance(1);
    h.s.on_heartbeat(1, "FD001-s1", 1, 7, h.clock.now());  // heartbeats, counter stuck at 7
    ASSERT_TRUE(h.s.check_deadlines(h.clock.now()).empty()) << i;
  }
  h.clock.advance(3);  // the counter last moved at t+1: now 21 s without progress
  h.s.on_heartbeat(1, "FD001-s1", 1, 7, h.clock.now());
  EXPECT_EQ(h.s.check_deadlines(h.clock.now()), std::vector<int>{1});
  EXPECT_NE(h.events("worker_dead")[0]["reason"].get<std::string>().find("no progress"), std::string::npos);
}

TEST(SchedulerTest, ProgressCounterKeepsABusyWorkerAlive) {
  Harness h(specs({{"FD001", 1}}));
  h.s.add_worker(1, h.clock.now());
  h.s.on_ready(1, h.clock.now());
  ASSERT_EQ(h.s.dispatch(h.clock.now()).size(), 1u);
  for (int i = 0; i < 100; ++i) {
    h.clock.advance(1);
    h.s.on_heartbeat(1, "FD001-s1", 1, i, h.clock.now());
    ASSERT_TRUE(h.s.check_deadlines(h.clock.now()).empty()) << i;
  }
}

TEST(SchedulerTest, OwnFailuresRetryUpToMaxAttemptsThenFail) {
  Harness h(specs({{"BAD", 1}, {"OK", 1}}), SchedulerConfig{5, 20, 2});
  h.s.add_worker(1, h.clock.now());
  ResultReport bad;
  bad.end = JobEnd::kFailed;
  bad.reason = "bad data file";
  for (int attempt = 1; attempt <= 2; ++attempt) {
    h.s.on_ready(1, h.clock.now());
    auto a = h.s.dispatch(h.clock.now());
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(a[0].job, "BAD-s1");  // equal cost: by name; a retried job goes first
    ASSERT_EQ(a[0].attempt, attempt);
    ASSERT_TRUE(h.s.on_result(1, "BAD-s1", attempt, bad, h.clock.now()));
  }
  ASSERT_EQ(h.events("failed").size(), 1u);
  EXPECT_EQ(h.events("failed")[0]["reason"], "bad data file");
  h.s.on_ready(1, h.clock.now());
  auto a = h.s.dispatch(h.clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].job, "OK-s1");
  ASSERT_TRUE(h.s.on_result(1, "OK-s1", 1, done(), h.clock.now()));
  EXPECT_TRUE(h.s.all_jobs_ended());
  EXPECT_EQ(h.s.counts().failed, 1);
  EXPECT_EQ(h.s.counts().done, 1);
}

TEST(SchedulerTest, PreemptionDoesNotCountAsAFailureAndDrainingStopsAssignments) {
  Harness h(specs({{"FD001", 1}}), SchedulerConfig{5, 20, 1});
  h.s.add_worker(1, h.clock.now());
  h.s.on_ready(1, h.clock.now());
  ASSERT_EQ(h.s.dispatch(h.clock.now()).size(), 1u);
  h.s.start_draining("SIGUSR1");
  ResultReport pre;
  pre.end = JobEnd::kPreempted;
  ASSERT_TRUE(h.s.on_result(1, "FD001-s1", 1, pre, h.clock.now()));
  h.s.on_ready(1, h.clock.now());
  EXPECT_TRUE(h.s.dispatch(h.clock.now()).empty());
  EXPECT_FALSE(h.s.any_busy());
  EXPECT_FALSE(h.s.all_jobs_ended());
  EXPECT_EQ(h.events("preempted").size(), 1u);
  EXPECT_TRUE(h.events("failed").empty());
}

TEST(SchedulerTest, ReplayKeepsDoneJobsAndContinuesAttemptNumbers) {
  std::vector<json> before;
  {
    Harness h(specs({{"FD001", 1}}, 2));
    h.s.add_worker(1, h.clock.now());
    h.s.on_ready(1, h.clock.now());
    auto a = h.s.dispatch(h.clock.now());
    ASSERT_TRUE(h.s.on_result(1, a[0].job, 1, done(), h.clock.now()));
    h.s.on_ready(1, h.clock.now());
    a = h.s.dispatch(h.clock.now());
    ASSERT_EQ(a[0].job, "FD001-s2");
    // the session ends here (preempted, killed): FD001-s2 attempt 1 is unfinished
    before = h.records;
  }
  Harness h(specs({{"FD001", 1}}, 2), SchedulerConfig{}, before);
  EXPECT_EQ(h.s.counts().done, 1);
  EXPECT_EQ(h.s.counts().queued, 1);
  h.s.add_worker(3, h.clock.now());
  h.s.on_ready(3, h.clock.now());
  auto a = h.s.dispatch(h.clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].job, "FD001-s2");
  EXPECT_EQ(a[0].attempt, 2);
}

// Regression: a job that failed for good got a fresh retry budget on every rerun of the command.
TEST(SchedulerTest, FailuresCountAcrossSessionsAndOnlyAnExplicitResetRetriesAFailedJob) {
  ResultReport bad;
  bad.end = JobEnd::kFailed;
  bad.reason = "NaN loss";
  auto fail_once = [&](Harness& h, int rank) {
    h.s.add_worker(rank, h.clock.now());
    h.s.on_ready(rank, h.clock.now());
    auto a = h.s.dispatch(h.clock.now());
    ASSERT_EQ(a.size(), 1u);
    ASSERT_TRUE(h.s.on_result(rank, a[0].job, a[0].attempt, bad, h.clock.now()));
  };
  const SchedulerConfig cfg{5, 20, 2};
  std::vector<json> ledger;
  {
    Harness h(specs({{"BAD", 1}}), cfg);
    fail_once(h, 1);  // session 1: one failure of two allowed
    ledger = h.records;
  }
  {
    Harness h(specs({{"BAD", 1}}), cfg, ledger);
    EXPECT_EQ(h.s.jobs().at("BAD-s1").failures, 1);
    EXPECT_EQ(h.events("queued").at(0)["failures_so_far"], 1);
    fail_once(h, 1);  // session 2: the second failure ends it
    ASSERT_EQ(h.events("failed").size(), 1u);
    ledger.insert(ledger.end(), h.records.begin(), h.records.end());
  }
  {
    Harness h(specs({{"BAD", 1}}), cfg, ledger);  // session 3: a plain rerun
    EXPECT_EQ(h.s.counts().failed, 1);
    EXPECT_EQ(h.s.counts().queued, 0);
    EXPECT_TRUE(h.s.all_jobs_ended());
    EXPECT_EQ(h.s.jobs().at("BAD-s1").reason, "NaN loss");
    h.s.add_worker(1, h.clock.now());
    h.s.on_ready(1, h.clock.now());
    EXPECT_TRUE(h.s.dispatch(h.clock.now()).empty());
    // The user fixed the data and asks for a retry: a full budget again, recorded.
    EXPECT_EQ(h.s.reset_failed_jobs("--retry-failed"), std::vector<std::string>{"BAD-s1"});
    ASSERT_EQ(h.events("failures_reset").size(), 1u);
    auto a = h.s.dispatch(h.clock.now());
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].attempt, 3);
    ledger.insert(ledger.end(), h.records.begin(), h.records.end());
  }
  Harness h(specs({{"BAD", 1}}), cfg, ledger);  // the reset survives a rerun too
  EXPECT_EQ(h.s.counts().queued, 1);
  EXPECT_EQ(h.s.jobs().at("BAD-s1").failures, 0);
}

// A full disk is not the job's fault: it must not burn the job's retries (max_attempts 1 here).
TEST(SchedulerTest, AStorageFailureCostsNoAttemptAndIsReported) {
  Harness h(specs({{"FD001", 1}}), SchedulerConfig{5, 20, 1});
  h.s.add_worker(1, h.clock.now());
  h.s.on_ready(1, h.clock.now());
  ASSERT_EQ(h.s.dispatch(h.clock.now()).size(), 1u);
  EXPECT_TRUE(h.s.storage_failure().empty());
  ResultReport full;
  full.end = JobEnd::kStorageFailed;
  full.reason = "writing checkpoint epoch_3.pt: No space left on device";
  ASSERT_TRUE(h.s.on_result(1, "FD001-s1", 1, full, h.clock.now()));
  expect_a_storage_failure_charged_to_no_job(h);
}

// Regression: the coordinator's own lease write failing on a full run dir charged the job a
// failed attempt, so with max_attempts 1 a job was failed for good by the disk.
TEST(SchedulerTest, AnUnwritableLeaseCostsNoAttemptAndIsAStorageFailure) {
  Harness h(specs({{"FD001", 1}}), SchedulerConfig{5, 20, 1});
  h.s.add_worker(1, h.clock.now());
  h.s.on_ready(1, h.clock.now());
  const auto a = h.s.dispatch(h.clock.now());
  ASSERT_EQ(a.size(), 1u);
  h.s.assignment_failed(a[0], "cannot assign: writing lease: No space left on device");
  expect_a_storage_failure_charged_to_no_job(h);
  EXPECT_TRUE(h.events("attempt_failed").empty());
  EXPECT_TRUE(h.s.may_send(1));  // the worker did nothing wrong either
}

TEST(SchedulerTest, DepartedWorkerGetsNothingAndItsJobIsRequeuedWithoutPenalty) {
  Harness h(specs({{"FD001", 1}}), SchedulerConfig{5, 20, 1});
  h.s.add_worker(1, h.clock.now());
  h.s.add_worker(2, h.clock.now());
  h.s.on_ready(1, h.clock.now());
  ASSERT_EQ(h.s.dispatch(h.clock.now()).size(), 1u);
  h.s.on_worker_left(1, "SIGTERM", h.clock.now());
  EXPECT_FALSE(h.s.may_send(1));
  h.s.on_ready(1, h.clock.now());
  h.s.on_ready(2, h.clock.now());
  auto a = h.s.dispatch(h.clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].rank, 2);
  EXPECT_EQ(a[0].attempt, 2);
}

}  // namespace
}  // namespace amnl::orch
