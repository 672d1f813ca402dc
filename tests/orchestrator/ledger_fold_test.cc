// LedgerFold is the one reading of ledger.jsonl: its rules (done is final, an older attempt's
// records change nothing of the current one, attempt numbers only grow, a session's end
// interrupts what ran), the regression where the scheduler, `amnl status`, /metrics and the
// report disagreed on the same ledger, and a property test: whatever the scheduler does under
// random faults and coordinator restarts, folding the records it wrote gives its own state, job
// by job.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "orchestrator/rundir/ledger_fold.h"
#include "orchestrator/report/report_collect.h"
#include "orchestrator/policy/scheduler.h"
#include "orchestrator/status/status_load.h"
#include "orchestrator/status/status_metrics.h"
#include "report_fixture.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

json assigned(const std::string& job, int attempt, int rank) {
  return {{"event", "assigned"}, {"job", job}, {"attempt", attempt}, {"rank", rank}};
}
json ended(const char* event, const std::string& job, int attempt, int rank, json extra = json::object()) {
  extra["event"] = event;
  extra["job"] = job;
  extra["attempt"] = attempt;
  extra["rank"] = rank;
  if (!extra.contains("reason")) extra["reason"] = std::string(event) + " of attempt " + std::to_string(attempt);
  return extra;
}
json done(const std::string& job, int attempt, int rank, double rmse) {
  return {{"event", "done"}, {"job", job}, {"attempt", attempt}, {"rank", rank}, {"epochs_run", 6},
          {"seconds", 3.0}, {"metrics", {{"test_rmse", rmse}}}};
}

LedgerFold fold_of(const std::vector<json>& records) {
  LedgerFold f;
  for (const json& r : records) f.apply(r);
  return f;
}

TEST(LedgerFold, DoneIsFinalWhateverAStaleAttemptSaysAfterwards) {
  for (const char* late : {"failed", "attempt_failed", "preempted", "storage_failed"}) {
    const LedgerFold f = fold_of({{{"event", "session_started"}, {"ranks", 3}},
                                  assigned("A-s1", 1, 1), done("A-s1", 1, 1, 12.5),
                                  ended(late, "A-s1", 1, 1, {{"failures", 3}})});
    const FoldedJob& j = f.jobs().at("A-s1");
    EXPECT_EQ(j.phase, JobPhase::kDone) << late;
    EXPECT_EQ(j.metrics["test_rmse"], 12.5) << late;
    EXPECT_EQ(j.failures, 0) << late;
    EXPECT_EQ(f.ranks().at(1).state, "idle") << late;
  }
}

TEST(LedgerFold, AnOlderAttemptsRecordsChangeNothingOfTheCurrentOne) {
  const LedgerFold f = fold_of({{{"event", "session_started"}, {"ranks", 3}},
                                assigned("A-s1", 1, 1),
                                {{"event", "worker_dead"}, {"rank", 1}, {"reason", "silent"}},
                                ended("attempt_failed", "A-s1", 1, 1, {{"failures", 1}, {"max_attempts", 3}}),
                                assigned("A-s1", 2, 2),
                                {{"event", "progress"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 1}, {"epoch", 9},
                                 {"max_epochs", 20}, {"val_rmse", 3.0}, {"epoch_seconds", 1.0}},
                                ended("preempted", "A-s1", 1, 1)});
  const FoldedJob& j = f.jobs().at("A-s1");
  EXPECT_EQ(j.phase, JobPhase::kRunning);
  EXPECT_EQ(j.attempt, 2);
  EXPECT_EQ(j.rank, 2);
  EXPECT_EQ(j.failures, 1);
  EXPECT_EQ(j.epoch, 0) << "the stale attempt's progress moved the current attempt's epoch";
  EXPECT_TRUE(j.val_rmse_by_epoch.empty());
  EXPECT_EQ(f.ranks().at(2).state, "busy");
  EXPECT_EQ(f.totals().preemptions, 1) << "the totals count every event that happened";
}

TEST(LedgerFold, AReassignedAttemptThatFinishesFirstMakesTheJobDoneAndFreesTheOtherRank) {
  const LedgerFold f = fold_of({{{"event", "session_started"}, {"ranks", 3}},
                                assigned("A-s1", 1, 1),
                                ended("attempt_failed", "A-s1", 1, 1, {{"failures", 1}}),
                                assigned("A-s1", 2, 2),
                                done("A-s1", 1, 1, 11.0),
                                ended("preempted", "A-s1", 2, 2)});
  const FoldedJob& j = f.jobs().at("A-s1");
  EXPECT_EQ(j.phase, JobPhase::kDone);
  EXPECT_EQ(j.attempt, 2) << "attempt numbers never go back";
  EXPECT_EQ(f.ranks().at(2).state, "idle");
}

TEST(LedgerFold, AJobRunningWhenItsSessionEndsOrANewOneStartsIsQueuedAgain) {
  LedgerFold f = fold_of({{{"event", "session_started"}, {"ranks", 2}},
                          assigned("A-s1", 1, 1),
                          {{"event", "progress"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 1}, {"epoch", 4},
                           {"max_epochs", 9}, {"epoch_seconds", 1.0}},
                          {{"event", "session_ended"}, {"outcome", "incomplete"}}});
  EXPECT_EQ(f.jobs().at("A-s1").phase, JobPhase::kQueued);
  EXPECT_EQ(f.jobs().at("A-s1").stop.event, "interrupted");
  EXPECT_EQ(f.jobs().at("A-s1").stop.epoch, 4);
  EXPECT_EQ(f.ranks().at(1).state, "idle");
  EXPECT_FALSE(f.session().open());
  f.apply({{"event", "session_started"}, {"ranks", 2}});
  f.apply(assigned("A-s1", 2, 1));
  f.apply({{"event", "session_started"}, {"ranks", 2}});  // the coordinator died without a record
  EXPECT_EQ(f.jobs().at("A-s1").phase, JobPhase::kQueued);
  EXPECT_EQ(f.jobs().at("A-s1").resumes, 1);
  EXPECT_TRUE(f.session().open());
}

// ---- The regression: one ledger, four readers, one answer ----

// A: a stale attempt's `failed` after `done`; B: `preempted` after `done`; C: a reassigned
// attempt finished first, then the current attempt failed. Every reader built its own fold and
// `amnl status` (and /metrics) said failed, preempted and queued where the others said done.
TEST(LedgerFoldReaders, StatusMetricsReportAndSchedulerAgreeOnALedgerTheyDisagreedOn) {
  test::ReportRunDir d;
  d.experiment({"FD001"}, {1, 2, 3});
  const std::string a = d.job("FD001", 1), b = d.job("FD001", 2), c = d.job("FD001", 3);
  std::vector<json> records = {{{"event", "session_started"}, {"session", "s1"}, {"ranks", 4}},
                               assigned(a, 1, 1), done(a, 1, 1, 12.0), ended("failed", a, 1, 1, {{"failures", 3}}),
                               assigned(b, 1, 2), done(b, 1, 2, 13.0), ended("preempted", b, 1, 2),
                               assigned(c, 1, 3), ended("attempt_failed", c, 1, 3, {{"failures", 1}}),
                               assigned(c, 2, 1), done(c, 1, 3, 14.0),
                               ended("attempt_failed", c, 2, 1, {{"failures", 2}})};
  for (const json& r : records) d.record(r);
  for (int seed = 1; seed <= 3; ++seed)
    d.job_file("FD001", seed, "metrics.json", d.metrics("FD001", seed, 11.0 + seed).dump());

  std::shared_ptr<Storage> storage = make_posix_storage();
  auto status = load_run_status(*storage, d.run_dir, 1714564900.0);
  ASSERT_TRUE(status.ok()) << status.message();
  const std::string metrics = status_metrics_text(*status);
  auto report = collect_run_results(*storage, d.run_dir, /*with_baseline=*/false);
  ASSERT_TRUE(report.ok()) << report.message();
  std::vector<JobSpec> specs;
  for (int seed = 1; seed <= 3; ++seed) specs.push_back(JobSpec{JobKey{"FD001", seed}, 1.0});
  Scheduler scheduler(specs, SchedulerConfig{}, {}, records);

  for (const std::string& id : {a, b, c}) {
    std::string status_state;
    for (const json& j : (*status)["jobs"])
      if (j["job"] == id) status_state = j["state"];
    EXPECT_EQ(status_state, "done") << id;
    std::string report_state;
    for (const SeedResult& s : report->seeds_results)
      if (s.job == id) report_state = s.state;
    EXPECT_EQ(report_state, "done") << id;
    EXPECT_EQ(scheduler.jobs().at(id).state, JobState::kDone) << id;
  }
  EXPECT_NE(metrics.find("amnl_jobs{state=\"done\"} 3"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("amnl_jobs{state=\"failed\"} 0"), std::string::npos) << metrics;
  EXPECT_EQ((*status)["totals"]["done"], 3);
  EXPECT_EQ(report->dataset_results.at(0).done, 3);
}

// ---- Property: the fold of the scheduler's records is the scheduler's state ----

struct SimWorker {
  bool busy = false, silent = false;
  std::string job;
  int attempt = 0;
  double end_at = 0, silent_until = 0;
  int fate = 0;  // 0 finish, 1 fail, 2 preempt, 3 silent for a while (declared dead, readmitted)
};

// Checks every job of `s` against the fold of `records`.
void expect_fold_matches(const Scheduler& s, const std::vector<json>& records, const std::string& when) {
  const LedgerFold f = fold_of(records);
  for (const auto& [id, job] : s.jobs()) {
    auto it = f.jobs().find(id);
    ASSERT_NE(it, f.jobs().end()) << when << ": " << id << " not in the fold";
    const FoldedJob& fj = it->second;
    const JobPhase expected = fj.phase == JobPhase::kPreempted ? JobPhase::kQueued : fj.phase;
    const JobPhase actual = job.state == JobState::kQueued    ? JobPhase::kQueued
                            : job.state == JobState::kRunning ? JobPhase::kRunning
                            : job.state == JobState::kDone    ? JobPhase::kDone
                                                              : JobPhase::kFailed;
    ASSERT_EQ(to_string(expected), std::string(to_string(actual))) << when << ": " << id;
    ASSERT_EQ(fj.attempt, job.attempt) << when << ": " << id;
    ASSERT_EQ(fj.failures, job.failures) << when << ": " << id;
    if (job.state == JobState::kRunning) {
      ASSERT_EQ(fj.rank, job.rank) << when << ": " << id;
    }
  }
}

// What the simulations exercised, summed over seeds (so the property is not vacuously true).
std::map<std::string, int> g_events;

void simulate(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(0, 1);
  std::vector<JobSpec> specs;
  for (int i = 0; i < 24; ++i) specs.push_back(JobSpec{JobKey{"D" + std::to_string(i % 3), i}, double(rng() % 50)});
  const SchedulerConfig cfg{4.0, 30.0, 3, 20.0};
  std::vector<json> records;
  auto sink = [&](const json& r) { records.push_back(r); };
  double now = 0;
  auto start_session = [&](int workers) {
    records.push_back({{"event", "session_started"}, {"ranks", workers + 1}});
    const std::vector<json> replayed = records;
    auto s = std::make_unique<Scheduler>(specs, cfg, sink, replayed);
    for (int r = 1; r <= workers; ++r) s->add_worker(r, now);
    return s;
  };
  auto s = start_session(4);
  std::map<int, SimWorker> w;
  for (int step = 0; step < 3000 && !s->all_jobs_ended(); ++step) {
    now += 0.5;
    if (uni(rng) < 0.002) {  // the coordinator restarts: a new session on the same ledger
      records.push_back({{"event", "session_ended"}, {"outcome", "incomplete"}});
      s = start_session(1 + static_cast<int>(rng() % 4));
      w.clear();
      expect_fold_matches(*s, records, "seed " + std::to_string(seed) + " after a restart");
    }
    std::vector<int> ranks;
    for (const auto& [rank, ws] : s->workers()) ranks.push_back(rank);
    for (int rank : ranks) {
      SimWorker& x = w[rank];
      if (!s->may_send(rank) && !x.silent) continue;  // dead for good, or gone
      if (x.silent && now < x.silent_until) continue;
      if (x.silent) {  // heard from again: readmitted if it was declared dead, its attempt dropped
        x = SimWorker{};
        s->readmit(rank, now);
      }
      s->on_heard(rank, now);
      if (!x.busy) { s->on_ready(rank, now); continue; }
      if (now < x.end_at) { s->on_heartbeat(rank, x.job, x.attempt, static_cast<int64_t>(now * 2), now); continue; }
      ResultReport r;
      if (x.fate == 3) { x.silent = true; x.silent_until = now + 8; continue; }
      r.end = x.fate == 0 ? JobEnd::kDone : x.fate == 1 ? JobEnd::kFailed : JobEnd::kPreempted;
      r.reason = "simulated";
      s->on_result(rank, x.job, x.attempt, r, now);
      x.busy = false;
      s->on_ready(rank, now);
    }
    for (int rank : s->check_deadlines(now)) w[rank].busy = false;
    for (const Assignment& a : s->dispatch(now)) {
      const double f = uni(rng);
      w[a.rank] = SimWorker{true, false, a.job, a.attempt, now + 1 + uni(rng) * 6, 0,
                            f < 0.55 ? 0 : f < 0.8 ? 1 : f < 0.92 ? 2 : 3};
    }
    if (step % 25 == 0) expect_fold_matches(*s, records, "seed " + std::to_string(seed) + " step " + std::to_string(step));
    if (::testing::Test::HasFatalFailure()) return;
  }
  expect_fold_matches(*s, records, "seed " + std::to_string(seed) + " at the end");
  for (const json& r : records) ++g_events[r["event"].get<std::string>()];
  // A rerun replays the ledger: done and failed jobs, attempt numbers and failures are the same.
  auto rerun = start_session(2);
  for (const auto& [id, job] : s->jobs()) {
    const JobStatus& replayed = rerun->jobs().at(id);
    if (job.state == JobState::kDone || job.state == JobState::kFailed) {
      EXPECT_EQ(replayed.state, job.state) << id;
    }
    EXPECT_EQ(replayed.attempt, job.attempt) << id;
    EXPECT_EQ(replayed.failures, job.failures) << id;
  }
}

TEST(LedgerFoldProperty, TheFoldOfTheSchedulersRecordsIsTheSchedulersStateUnderRandomFaults) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    simulate(seed);
    if (HasFatalFailure()) return;
  }
  for (const char* event : {"done", "failed", "attempt_failed", "preempted", "worker_dead", "worker_readmitted",
                            "session_ended"})
    EXPECT_GT(g_events[event], 0) << event << " never happened: the simulation does not exercise it";
}

}  // namespace
}  // namespace amnl::orch
