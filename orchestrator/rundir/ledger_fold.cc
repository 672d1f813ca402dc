#include "orchestrator/rundir/ledger_fold.h"

#include <algorithm>

#include "common/json_fields.h"
#include "orchestrator/rundir/ledger_events.h"
#include "orchestrator/rundir/utc_time.h"

namespace amnl::orch {

using nlohmann::json;

const char* to_string(JobPhase p) {
  switch (p) {
    case JobPhase::kQueued: return "queued";
    case JobPhase::kRunning: return "running";
    case JobPhase::kDone: return "done";
    case JobPhase::kFailed: return "failed";
    case JobPhase::kPreempted: return "preempted";
  }
  return "?";
}

struct LedgerFold::JobEvent {
  const json& record;
  const std::string& id;
  int rank;     // the worker concerned; -1 when the record names none
  int attempt;  // 0 when the record names none
  double at;    // the record's time, or the latest time seen before it
};

void LedgerFold::add_job(const std::string& id) { jobs_[id]; }

void LedgerFold::apply(const json& r) {
  if (!r.is_object()) return;
  ++totals_.records;
  const double at = note_time(r);
  const std::string ev = string_or(r, ledger::kEvent, "");
  if (apply_session_or_rank_event(ev, r, at)) return;
  // Every other event is about a job. An unknown one adds no job to the fold.
  const std::string id = string_or(r, ledger::kJob, "");
  const JobHandler handler = job_handler(ev);
  if (id.empty() || handler == nullptr) return;
  const JobEvent e{r, id, int_or(r, ledger::kRank, -1), int_or(r, ledger::kAttempt, 0), at};
  FoldedJob& j = jobs_[id];
  j.seen = true;
  count_event(ev, e);
  const bool stale = is_stale(j, ev, e);
  j.attempt = std::max(j.attempt, e.attempt);
  if (stale) {
    // Its worker is no longer busy with that attempt; the job itself is the current attempt's.
    if (ev != ledger::event::kProgress && ev != ledger::event::kCheckpoint) free_rank(e.rank, id, e.attempt);
    return;
  }
  (this->*handler)(j, e);
}

// Returns the record's time and remembers it as the latest seen. A record without a readable
// time is taken to have happened at the latest time seen so far (NaN before any).
double LedgerFold::note_time(const json& r) {
  const double t = parse_utc_iso(string_or(r, "time", ""));
  if (!std::isfinite(t)) return last_time_;
  last_time_ = t;
  return t;
}

bool LedgerFold::apply_session_or_rank_event(const std::string& ev, const json& r, double at) {
  namespace event = ledger::event;
  if (ev == event::kSessionStarted) on_session_started(r, at);
  else if (ev == event::kSessionEnded) on_session_ended(r, at);
  else if (ev == event::kDraining) session_.draining_reason = string_or(r, ledger::kReason, "draining");
  else if (ev == event::kWorkerDead) on_worker_gone(r, /*died=*/true);
  else if (ev == event::kWorkerLeft) on_worker_gone(r, /*died=*/false);
  else if (ev == event::kWorkerExcluded) on_worker_excluded(r);
  else if (ev == event::kWorkerReadmitted) on_worker_readmitted(r);
  else return false;
  return true;
}

// The totals count every event, stale ones included: they happened.
void LedgerFold::count_event(const std::string& ev, const JobEvent& e) {
  namespace event = ledger::event;
  if (ev == event::kAssigned) ++totals_.assignments;
  else if (ev == event::kCheckpoint) ++totals_.checkpoints;
  else if (ev == event::kPreempted) ++totals_.preemptions;
  else if (ev == event::kAttemptFailed || ev == event::kFailed) ++totals_.attempt_failures;
  else if (ev == event::kDone) {
    const double seconds = double_or(e.record, "seconds", NAN);
    if (std::isfinite(seconds)) {
      totals_.done_seconds += seconds;
      ++totals_.done_timed;
    }
  }
}

// The rules of the header: done is final (a later done record still replaces the metrics), and
// a record of an older attempt than the current one changes nothing of the job.
bool LedgerFold::is_stale(const FoldedJob& j, const std::string& ev, const JobEvent& e) const {
  if (ev == ledger::event::kDone) return false;
  if (j.phase == JobPhase::kDone) return true;
  return e.attempt > 0 && e.attempt < j.attempt;
}

// Jobs running when their session went away were interrupted: queued again, to resume from
// their newest checkpoint.
void LedgerFold::interrupt_running(const std::string& why) {
  for (auto& [id, j] : jobs_) {
    if (j.phase != JobPhase::kRunning) continue;
    j.phase = JobPhase::kQueued;
    j.stop = AttemptStop{AttemptStop::kInterrupted, why, j.attempt, j.epoch, 0};
    j.rank = -1;
  }
}

// A new session (a new mpirun): the session facts start afresh, and so do the ranks, which
// each mpirun numbers anew (the previous session's dead ranks are history).
void LedgerFold::on_session_started(const json& r, double at) {
  interrupt_running("the coordinator's session ended without a record");
  ++session_.number;
  session_.id = string_or(r, "session", "");
  session_.started = at;
  session_.ended = NAN;
  session_.closed = false;
  session_.outcome.clear();
  session_.reason.clear();
  session_.draining_reason.clear();
  ranks_.clear();
  const int n = int_or(r, "ranks", 0);
  for (int w = 1; w < n && w < 100000; ++w) ranks_[w];
}

// The session's end stops its clock and gives its outcome; nothing of it runs any more.
void LedgerFold::on_session_ended(const json& r, double at) {
  interrupt_running("its session ended");
  for (auto& [rank, w] : ranks_)
    if (w.state == "busy") free_rank(rank, w.job, w.attempt);
  session_.ended = at;
  session_.closed = true;
  session_.outcome = string_or(r, "outcome", "");
  session_.reason = string_or(r, ledger::kReason, "");
}

// A worker died or left: it no longer counts as alive and holds no job (the scheduler's own
// record about that job, which follows, decides the job's state).
void LedgerFold::on_worker_gone(const json& r, bool died) {
  const int rank = int_or(r, ledger::kRank, -1);
  if (rank < 0) return;
  FoldedRank& w = ranks_[rank];
  w.state = died ? "dead" : "left";
  w.reason = string_or(r, ledger::kReason, "");
  w.job.clear();
  w.attempt = 0;
  if (died) ++totals_.worker_deaths;
}

// Declared dead for silence, then heard from again: alive and idle (its old attempt was fenced;
// the job's own records say where it went). It stays counted among the deaths.
void LedgerFold::on_worker_readmitted(const json& r) {
  const int rank = int_or(r, ledger::kRank, -1);
  if (rank < 0) return;
  FoldedRank& w = ranks_[rank];
  if (w.state != "dead") return;
  w.state = "idle";
  w.reason = string_or(r, ledger::kReason, "");
  w.job.clear();
}

void LedgerFold::on_worker_excluded(const json& r) {
  const int rank = int_or(r, ledger::kRank, -1);
  if (rank < 0) return;
  FoldedRank& w = ranks_[rank];
  w.excluded = true;
  w.reason = string_or(r, ledger::kReason, "");
}

void LedgerFold::free_rank(int rank, const std::string& job, int attempt) {
  auto it = ranks_.find(rank);
  if (it == ranks_.end() || it->second.state != "busy" || it->second.job != job) return;
  if (attempt > 0 && it->second.attempt > 0 && it->second.attempt != attempt) return;
  it->second.state = "idle";
  it->second.job.clear();
  it->second.attempt = 0;
}

// The handler of a job event; nullptr for an event the fold does not know.
LedgerFold::JobHandler LedgerFold::job_handler(const std::string& event) {
  namespace ev = ledger::event;
  static const std::map<std::string, JobHandler> kHandlers = {
      {ev::kQueued, &LedgerFold::on_queued},
      {ev::kAssigned, &LedgerFold::on_assigned},
      {ev::kProgress, &LedgerFold::on_progress},
      {ev::kCheckpoint, &LedgerFold::on_checkpoint},
      {ev::kDone, &LedgerFold::on_done},
      {ev::kAttemptFailed, &LedgerFold::on_attempt_failed},
      {ev::kFailed, &LedgerFold::on_failed},
      {ev::kPreempted, &LedgerFold::on_preempted},
      {ev::kStorageFailed, &LedgerFold::on_storage_failed},
      {ev::kFailuresReset, &LedgerFold::on_failures_reset},
  };
  const auto it = kHandlers.find(event);
  return it == kHandlers.end() ? nullptr : it->second;
}

// Back in the queue: attempts and failures so far (never lowered: a replay may repeat them) and
// the last failure's reason. A preempted job keeps showing "preempted" until reassigned; a
// failed one stays failed (only failures_reset requeues it).
void LedgerFold::on_queued(FoldedJob& j, const JobEvent& e) {
  j.attempt = std::max(j.attempt, int_or(e.record, "attempts_so_far", 0));
  j.failures = std::max(j.failures, int_or(e.record, "failures_so_far", 0));
  if (e.record.contains("last_failure")) j.reason = string_or(e.record, "last_failure", "");
  if (j.phase == JobPhase::kRunning) j.phase = JobPhase::kQueued;
  j.rank = -1;
}

// A new attempt starts on a worker: its clock and epoch pace start afresh, and the worker
// shows busy with it.
void LedgerFold::on_assigned(FoldedJob& j, const JobEvent& e) {
  j.phase = JobPhase::kRunning;
  j.rank = e.rank;
  if (e.attempt > 1) j.resumes = std::max(j.resumes, e.attempt - 1);
  j.stop = AttemptStop{};
  j.started = e.at;
  j.ended = j.last_progress = NAN;
  j.attempt_epoch_seconds = 0;
  j.attempt_epochs = 0;
  j.attempt_last_epoch = -1;
  if (e.rank < 0) return;
  FoldedRank& w = ranks_[e.rank];
  w.state = "busy";
  w.job = e.id;
  w.attempt = e.attempt;
}

bool completes_epoch(int last_epoch, int epoch, double epoch_seconds) {
  return epoch > 0 && (last_epoch >= 0 ? epoch > last_epoch : epoch_seconds > 0);
}

// Only a completed epoch (completes_epoch) moves the RMSEs and the pace.
void LedgerFold::on_progress(FoldedJob& j, const JobEvent& e) {
  const json& r = e.record;
  const int epoch = int_or(r, "epoch", -1);
  j.max_epochs = int_or(r, "max_epochs", j.max_epochs);
  j.early_stop_epoch = int_or(r, "early_stop_epoch", 0);
  const double epoch_seconds = double_or(r, "epoch_seconds", NAN);
  const bool completed = completes_epoch(j.attempt_last_epoch, epoch, epoch_seconds);
  if (epoch >= 0) {
    j.epoch = epoch;
    j.attempt_last_epoch = epoch;
    if (r.contains("val_rmse") && r["val_rmse"].is_number()) j.val_rmse_by_epoch[epoch] = r["val_rmse"].get<double>();
  }
  if (!completed) return;
  ++totals_.epochs_completed;
  ++j.attempt_epochs;
  j.last_progress = e.at;
  j.val_rmse = double_or(r, "val_rmse", NAN);
  j.best_val_rmse = double_or(r, "best_val_rmse", j.best_val_rmse);
  j.val_all_windows_rmse = double_or(r, "val_all_windows_rmse", NAN);
  j.epoch_seconds = epoch_seconds;
  if (std::isfinite(epoch_seconds)) j.attempt_epoch_seconds += epoch_seconds;
}

// A checkpoint: where a resumed attempt would start from.
void LedgerFold::on_checkpoint(FoldedJob& j, const JobEvent& e) {
  j.checkpoint_epoch = int_or(e.record, "epoch", j.checkpoint_epoch);
}

// The job finished: its epochs, wall time and metrics are final, and its worker is free.
void LedgerFold::on_done(FoldedJob& j, const JobEvent& e) {
  j.phase = JobPhase::kDone;
  j.done = e.record;
  j.metrics = object_or_empty(e.record, "metrics");
  j.epochs_run = int_or(e.record, "epochs_run", 0);
  j.seconds = double_or(e.record, "seconds", NAN);
  j.epoch = int_or(e.record, "epochs_run", j.epoch);
  if (j.max_epochs == 0) j.max_epochs = j.epoch;
  j.reason.clear();
  j.stop = AttemptStop{};
  end_attempt(j, e);
}

// An attempt failed and the job will be retried: queued again.
void LedgerFold::on_attempt_failed(FoldedJob& j, const JobEvent& e) {
  count_failure(j, e);
  j.phase = JobPhase::kQueued;
  j.stop.max_attempts = int_or(e.record, "max_attempts", 0);
}

// The job gave up after its last allowed attempt.
void LedgerFold::on_failed(FoldedJob& j, const JobEvent& e) {
  count_failure(j, e);
  j.phase = JobPhase::kFailed;
}

void LedgerFold::count_failure(FoldedJob& j, const JobEvent& e) {
  j.failures = std::max(j.failures + 1, int_or(e.record, "failures", 0));
  j.failure_reason = j.reason = string_or(e.record, ledger::kReason, "");
  j.stop = AttemptStop{string_or(e.record, ledger::kEvent, ""), j.reason, e.attempt > 0 ? e.attempt : j.attempt,
                       j.epoch, 0};
  end_attempt(j, e);
}

// The attempt stopped without the job's fault (a stop request): "preempted" until reassigned.
void LedgerFold::on_preempted(FoldedJob& j, const JobEvent& e) {
  requeue_without_fault(j, e, JobPhase::kPreempted);
  j.stop.epoch = int_or(e.record, "epochs_run", j.epoch);
}

// The worker could not write the job's output: queued again, costing no attempt.
void LedgerFold::on_storage_failed(FoldedJob& j, const JobEvent& e) {
  requeue_without_fault(j, e, JobPhase::kQueued);
}

void LedgerFold::requeue_without_fault(FoldedJob& j, const JobEvent& e, JobPhase phase) {
  if (e.rank >= 0) free_rank(e.rank, e.id, e.attempt);
  j.phase = phase;
  j.reason = string_or(e.record, ledger::kReason, "");
  j.stop = AttemptStop{string_or(e.record, ledger::kEvent, ""), j.reason, e.attempt > 0 ? e.attempt : j.attempt,
                       j.epoch, 0};
  end_attempt(j, e);
}

// `amnl run --retry-failed`: the failure count starts over and a failed job is queued again.
void LedgerFold::on_failures_reset(FoldedJob& j, const JobEvent& e) {
  j.failures = 0;
  if (j.phase != JobPhase::kFailed) return;
  j.phase = JobPhase::kQueued;
  j.stop = AttemptStop{ledger::event::kFailuresReset, string_or(e.record, ledger::kReason, ""), j.attempt, j.epoch, 0};
}

// What every end of an attempt changes: its worker is free and its clock stops.
void LedgerFold::end_attempt(FoldedJob& j, const JobEvent& e) {
  free_rank(j.rank, e.id, 0);
  j.rank = -1;
  j.ended = e.at;
}

}  // namespace amnl::orch
