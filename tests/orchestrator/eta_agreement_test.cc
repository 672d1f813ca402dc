// One ETA rule (policy/run_eta.h) and one duration form (rundir/utc_time.h format_duration) for
// every view: the coordinator's summary line, fed by the scheduler, and `amnl status`, fed by the
// ledger the scheduler wrote, say the same for the same run. The summary line used to divide the
// remaining jobs times the mean job length by the workers ("ETA 0h00m10s" below), while status
// counted each running job's epochs at its pace (8 s), in another format.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "orchestrator/policy/run_eta.h"
#include "orchestrator/policy/scheduler.h"
#include "orchestrator/policy/summary_throttle.h"
#include "orchestrator/rundir/ledger_events.h"
#include "orchestrator/rundir/utc_time.h"
#include "orchestrator/status/status_format.h"
#include "orchestrator/status/status_model.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

constexpr double kStart = 1714564800.0;  // 2024-05-01T12:00:00Z: the ledger's clock at session time 0

// A scheduler whose every record also goes, stamped with its time, into a StatusModel: the
// coordinator's state and what `amnl status` reads from the ledger, side by side.
class ScheduledRun {
 public:
  ScheduledRun(const std::vector<int64_t>& seeds_of_a, int workers) {
    std::vector<JobSpec> specs;
    for (int64_t seed : seeds_of_a) specs.push_back(JobSpec{JobKey{"A", seed}, 1.0});
    status.apply(stamped({{ledger::kEvent, ledger::event::kSessionStarted}, {"session", "s1"}, {"ranks", workers + 1}}));
    scheduler = std::make_unique<Scheduler>(specs, SchedulerConfig{}, [this](const json& r) { status.apply(stamped(r)); });
    for (int w = 1; w <= workers; ++w) {
      scheduler->add_worker(w, now);
      scheduler->on_ready(w, now);
    }
  }
  json stamped(json r) const {
    r["time"] = format_utc_iso(kStart + now);
    return r;
  }
  void dispatch_at(double t) {
    now = t;
    scheduler->dispatch(now);
  }
  void progress_at(double t, int rank, const std::string& job, int epoch, double epoch_seconds) {
    now = t;
    ProgressReport p;
    p.epoch = epoch;
    p.max_epochs = 10;
    p.early_stop_epoch = 8;
    p.val_rmse = epoch > 0 ? 30.0 - epoch : NAN;
    p.epoch_seconds = epoch_seconds;
    p.batches_done = epoch * 100 + 1;
    ASSERT_TRUE(scheduler->on_progress(rank, job, attempt_of(job), p, now));
  }
  void done_at(double t, int rank, const std::string& job) {
    now = t;
    ResultReport r;
    r.end = JobEnd::kDone;
    r.epochs_run = 8;
    r.metrics = {{"test_rmse", 12.0}};
    ASSERT_TRUE(scheduler->on_result(rank, job, attempt_of(job), r, now));
    scheduler->on_ready(rank, now);
  }
  int attempt_of(const std::string& job) const { return scheduler->jobs().at(job).attempt; }
  // The ETA as the summary line prints it.
  std::string summary_eta() const {
    const std::string line = summary_line(*scheduler, now);
    return line.substr(line.rfind("ETA ") + 4);
  }
  json status_doc() const { return status.snapshot(kStart + now); }

  double now = 0;
  StatusModel status;
  std::unique_ptr<Scheduler> scheduler;
};

TEST(EtaAgreement, TheSummaryLineAndStatusGiveTheSameEtaForTheSameRun) {
  ScheduledRun run({1, 2, 3}, 2);
  run.dispatch_at(1);  // A-s1 -> rank 1, A-s2 -> rank 2
  const std::string first = run.scheduler->jobs().at("A-s1").rank == 1 ? "A-s1" : "A-s2";
  const std::string second = first == "A-s1" ? "A-s2" : "A-s1";
  run.progress_at(1, 1, first, 0, 0);  // training starts: no epoch completed
  run.progress_at(1, 2, second, 0, 0);
  // Nothing known yet: neither can tell.
  EXPECT_EQ(run.summary_eta(), "-");
  EXPECT_TRUE(run.status_doc()["eta_s"].is_null());
  // In time order: the first job completes an epoch every 2 s (its trainer counts 1.5 s of it),
  // the second every 1.25 s and finishes after 8 epochs, 10 s after its assignment.
  struct Epoch {
    double t;
    int rank;
    std::string job;
    int epoch;
  };
  std::vector<Epoch> epochs;
  for (int e = 1; e <= 5; ++e) epochs.push_back({1 + 2.0 * e, 1, first, e});
  for (int e = 1; e <= 8; ++e) epochs.push_back({1 + 1.25 * e, 2, second, e});
  std::stable_sort(epochs.begin(), epochs.end(), [](const Epoch& a, const Epoch& b) { return a.t < b.t; });
  for (const Epoch& e : epochs) run.progress_at(e.t, e.rank, e.job, e.epoch, 1.5);
  run.done_at(11, 2, second);
  run.dispatch_at(11);         // the third job to rank 2
  run.progress_at(11, 2, "A-s3", 0, 0);
  run.now = 12;

  // The first job: 3 epochs to its early stop at 2 s; the third: no pace yet, so the finished
  // job's 10 s; both over 2 workers: 8 s.
  const json doc = run.status_doc();
  ASSERT_TRUE(doc["eta_s"].is_number()) << doc.dump();
  EXPECT_DOUBLE_EQ(doc["eta_s"].get<double>(), 8.0);
  EXPECT_DOUBLE_EQ(run_eta_seconds(eta_facts(*run.scheduler)), doc["eta_s"].get<double>());
  EXPECT_EQ(run.summary_eta(), "0:00:08");
  EXPECT_EQ(run.summary_eta(), format_duration(doc["eta_s"].get<double>()));
  // The table prints the same text.
  EXPECT_NE(format_status_table(doc).find("ETA 0:00:08"), std::string::npos) << format_status_table(doc);
  // And each running job's ETA is the same under both.
  for (const json& j : doc["jobs"]) {
    if (j["state"] != "running") continue;
    const JobStatus& s = run.scheduler->jobs().at(j["job"].get<std::string>());
    const double mine = job_eta_seconds(job_pace(s));
    if (j["eta_s"].is_null()) EXPECT_TRUE(std::isnan(mine)) << j.dump();
    else EXPECT_DOUBLE_EQ(mine, j["eta_s"].get<double>()) << j.dump();
  }

  // Everything done: both say 0.
  for (int e = 6; e <= 8; ++e) run.progress_at(2.0 * e, 1, first, e, 1.5);
  run.done_at(17, 1, first);
  run.done_at(18, 2, "A-s3");
  EXPECT_EQ(run.summary_eta(), "0:00:00");
  EXPECT_EQ(run.status_doc()["eta_s"], 0);
}

// The mean job length counts the jobs finished in earlier sessions, as the ledger's fold does:
// a rerun's first summary knows the job length at once, like `amnl status` on the same ledger.
TEST(EtaAgreement, FinishedJobsOfEarlierSessionsCountForTheMeanJobLength) {
  const std::vector<json> earlier = {
      {{"event", "session_started"}, {"session", "s0"}, {"ranks", 2}, {"time", format_utc_iso(kStart - 100)}},
      {{"event", "assigned"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 1}, {"time", format_utc_iso(kStart - 99)}},
      {{"event", "done"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 1}, {"epochs_run", 8}, {"seconds", 30.0},
       {"metrics", {{"test_rmse", 12.0}}}, {"time", format_utc_iso(kStart - 69)}},
      {{"event", "session_ended"}, {"outcome", "interrupted"}, {"time", format_utc_iso(kStart - 60)}}};
  StatusModel status;
  for (const json& r : earlier) status.apply(r);
  status.apply({{"event", "session_started"}, {"session", "s1"}, {"ranks", 2}, {"time", format_utc_iso(kStart)}});
  Scheduler scheduler({JobSpec{JobKey{"A", 1}, 1.0}, JobSpec{JobKey{"A", 2}, 1.0}}, SchedulerConfig{},
                      [&](json r) {
                        r["time"] = format_utc_iso(kStart);
                        status.apply(r);
                      },
                      earlier);
  scheduler.add_worker(1, 0);
  const json doc = status.snapshot(kStart);
  ASSERT_TRUE(doc["eta_s"].is_number()) << doc.dump();
  EXPECT_DOUBLE_EQ(doc["eta_s"].get<double>(), 30.0);  // one job left at 30 s, one worker
  EXPECT_DOUBLE_EQ(run_eta_seconds(eta_facts(scheduler)), 30.0);
  EXPECT_EQ(summary_line(scheduler, 5).substr(summary_line(scheduler, 5).rfind("ETA ")), "ETA 0:00:30");
}

}  // namespace
}  // namespace amnl::orch
