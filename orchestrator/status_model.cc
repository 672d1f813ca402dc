#include "orchestrator/status_model.h"

#include "common/json_fields.h"
#include "orchestrator/ledger_events.h"

#include <cstdio>
#include <ctime>

namespace amnl::orch {

using nlohmann::json;

double parse_utc_iso(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, n = 0;
  double sec = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
      n != static_cast<int>(s.size()) - 1 || s.back() != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 ||
      h > 23 || mi > 59 || !(sec >= 0 && sec < 61))
    return NAN;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<double>(timegm(&tm)) + sec;
}

std::string format_utc_iso(double unix_seconds) {
  if (!std::isfinite(unix_seconds)) return "";
  const auto whole = static_cast<std::time_t>(std::floor(unix_seconds));
  const int ms = static_cast<int>((unix_seconds - static_cast<double>(whole)) * 1000) % 1000;
  std::tm tm{};
  gmtime_r(&whole, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

namespace {

// JSON has no NaN: unknown numbers are null.
json number_or_null(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

}  // namespace

void StatusModel::add_job(const std::string& id) { job(id); }

void StatusModel::set_rank_info(int rank, RankInfo info) { rank_info_[rank] = std::move(info); }

void StatusModel::set_last_heard(int rank, double unix_seconds) { last_heard_[rank] = unix_seconds; }

void StatusModel::set_ledger_damage(int damaged_lines, const std::string& problem) {
  damaged_lines_ = damaged_lines;
  ledger_problem_ = problem;
}

void StatusModel::rank_idle_if_running(int rank, const std::string& job) {
  auto it = ranks_.find(rank);
  if (it != ranks_.end() && it->second.state == "busy" && it->second.job == job) {
    it->second.state = "idle";
    it->second.job.clear();
    it->second.attempt = 0;
  }
}

// ---- apply(): the ledger's events, one handler each ----
// Record fields are read with common/json_fields.h: a field of the wrong type, or a number
// beyond int range (a hand-edited, damaged or future ledger), reads as absent. Not every field
// is type-checked by decode_ledger (ranks, attempts_so_far, failures_so_far, seconds are not).

struct StatusModel::JobEvent {
  const json& record;
  const std::string& id;
  int rank;     // the worker concerned; -1 when the record names none
  int attempt;  // 0 when the record names none
  double at;    // the record's time, or the latest time seen before it
};

void StatusModel::apply(const json& r) {
  if (!r.is_object()) return;
  ++records_;
  const double at = note_time(r);
  const std::string ev = string_or(r, ledger::kEvent, "");
  if (ev == ledger::event::kSessionStarted) return on_session_started(r, at);
  if (ev == ledger::event::kSessionEnded) return on_session_ended(r, at);
  if (ev == ledger::event::kDraining) return on_draining(r);
  if (ev == ledger::event::kWorkerDead) return on_worker_gone(r, /*died=*/true);
  if (ev == ledger::event::kWorkerLeft) return on_worker_gone(r, /*died=*/false);
  if (ev == ledger::event::kWorkerExcluded) return on_worker_excluded(r);
  if (ev == ledger::event::kWorkerReadmitted) return on_worker_readmitted(r);
  // Every other event is about a job. An unknown one adds no job to the view.
  const std::string id = string_or(r, ledger::kJob, "");
  const JobHandler handler = job_handler(ev);
  if (id.empty() || handler == nullptr) return;
  const JobEvent e{r, id, int_or(r, ledger::kRank, -1), int_or(r, ledger::kAttempt, 0), at};
  (this->*handler)(job(id), e);
}

// Returns the record's time and remembers it as the latest seen. A record without a
// readable time is taken to have happened at the latest time seen so far (NaN before any).
double StatusModel::note_time(const json& r) {
  const double t = parse_utc_iso(string_or(r, "time", ""));
  if (!std::isfinite(t)) return last_time_;
  last_time_ = t;
  return t;
}

// A new session (a new mpirun): the session facts start afresh, and so do the ranks, which
// each mpirun numbers anew (the previous session's dead ranks are history).
void StatusModel::on_session_started(const json& r, double at) {
  ++sessions_;
  session_ = string_or(r, "session", "");
  session_started_ = at;
  session_ended_ = NAN;
  session_outcome_.clear();
  session_reason_.clear();
  draining_reason_.clear();
  ranks_.clear();
  last_heard_.clear();
  const int n = int_or(r, "ranks", 0);
  for (int w = 1; w < n && w < 100000; ++w) ranks_[w];
  // A job still "running" here lost its coordinator; the new session queues it again.
  for (auto& [jid, j] : jobs_)
    if (j.state == "running") j.state = "queued";
}

// The session's end stops its clock (elapsed and heartbeat ages) and gives its outcome.
void StatusModel::on_session_ended(const json& r, double at) {
  session_ended_ = at;
  session_outcome_ = string_or(r, "outcome", "");
  session_reason_ = string_or(r, ledger::kReason, "");
}

// No new work is handed out: shown with the session, so a user knows why workers sit idle.
void StatusModel::on_draining(const json& r) {
  draining_reason_ = string_or(r, ledger::kReason, "draining");
}

// A worker died or left: it no longer counts as alive and holds no job (the scheduler's own
// record about that job, which follows, decides the job's state).
void StatusModel::on_worker_gone(const json& r, bool died) {
  const int rank = int_or(r, ledger::kRank, -1);
  if (rank < 0) return;
  Rank& w = ranks_[rank];
  w.state = died ? "dead" : "left";
  w.reason = string_or(r, ledger::kReason, "");
  w.job.clear();
  if (died) ++worker_deaths_;
}

// Declared dead for silence, then heard from again: alive and idle (its old attempt was fenced;
// the job's own records say where it went). It stays counted among the session's deaths.
void StatusModel::on_worker_readmitted(const json& r) {
  const int rank = int_or(r, ledger::kRank, -1);
  if (rank < 0) return;
  Rank& w = ranks_[rank];
  if (w.state != "dead") return;
  w.state = "idle";
  w.reason = string_or(r, ledger::kReason, "");
  w.job.clear();
}

void StatusModel::on_worker_excluded(const json& r) {
  const int rank = int_or(r, ledger::kRank, -1);
  if (rank < 0) return;
  Rank& w = ranks_[rank];
  w.excluded = true;
  w.reason = string_or(r, ledger::kReason, "");
}

// The handler of a job event; nullptr for an event the view does not know.
StatusModel::JobHandler StatusModel::job_handler(const std::string& event) {
  namespace ev = ledger::event;
  static const std::map<std::string, JobHandler> kHandlers = {
      {ev::kQueued, &StatusModel::on_queued},
      {ev::kAssigned, &StatusModel::on_assigned},
      {ev::kProgress, &StatusModel::on_progress},
      {ev::kCheckpoint, &StatusModel::on_checkpoint},
      {ev::kDone, &StatusModel::on_done},
      {ev::kAttemptFailed, &StatusModel::on_attempt_failed},
      {ev::kFailed, &StatusModel::on_failed},
      {ev::kPreempted, &StatusModel::on_preempted},
      {ev::kStorageFailed, &StatusModel::on_storage_failed},
      {ev::kFailuresReset, &StatusModel::on_failures_reset},
  };
  const auto it = kHandlers.find(event);
  return it == kHandlers.end() ? nullptr : it->second;
}

// Back in the queue: attempts and failures so far (never lowered: a replay may repeat them)
// and the last failure's reason. A preempted job keeps showing "preempted" until reassigned.
void StatusModel::on_queued(Job& j, const JobEvent& e) {
  j.attempt = std::max(j.attempt, int_or(e.record, "attempts_so_far", 0));
  j.failures = std::max(j.failures, int_or(e.record, "failures_so_far", 0));
  if (j.state != "preempted") j.state = "queued";
  if (e.record.contains("last_failure")) j.reason = string_or(e.record, "last_failure", "");
  j.rank = -1;
}

// A new attempt starts on a worker: the attempt's clock and epoch pace start afresh, and the
// worker shows busy with it.
void StatusModel::on_assigned(Job& j, const JobEvent& e) {
  ++assignments_;
  j.state = "running";
  j.attempt = e.attempt;
  j.rank = e.rank;
  j.started = e.at;
  j.ended = j.seconds = j.last_progress = NAN;
  j.attempt_epoch_seconds = 0;
  j.attempt_epochs = 0;
  j.attempt_last_epoch = -1;
  if (e.rank >= 0) {
    Rank& w = ranks_[e.rank];
    w.state = "busy";
    w.job = e.id;
    w.attempt = e.attempt;
  }
}

// Workers report when the epoch count changes, including once when training starts (epoch 0,
// or the epoch a resumed attempt starts from, with no validation yet): only a count that grew
// is a completed epoch, which moves the RMSEs and the pace used for the ETA. A trainer that
// reports epoch ends only says so with epoch_seconds.
void StatusModel::on_progress(Job& j, const JobEvent& e) {
  const json& r = e.record;
  const int epoch = int_or(r, "epoch", -1);
  j.max_epochs = int_or(r, "max_epochs", j.max_epochs);
  j.early_stop_epoch = int_or(r, "early_stop_epoch", 0);
  const double epoch_seconds = double_or(r, "epoch_seconds", NAN);
  const bool completed = epoch > 0 && (j.attempt_last_epoch >= 0 ? epoch > j.attempt_last_epoch
                                                                 : epoch_seconds > 0);
  if (epoch >= 0) {
    j.epoch = epoch;
    j.attempt_last_epoch = epoch;
  }
  if (!completed) return;
  ++epochs_completed_;
  ++j.attempt_epochs;
  j.last_progress = e.at;
  j.val_rmse = double_or(r, "val_rmse", NAN);
  j.best_val_rmse = double_or(r, "best_val_rmse", j.best_val_rmse);
  j.val_all_windows_rmse = double_or(r, "val_all_windows_rmse", NAN);
  j.epoch_seconds = epoch_seconds;
  if (std::isfinite(epoch_seconds)) j.attempt_epoch_seconds += epoch_seconds;
}

// A checkpoint: where a resumed attempt would start from.
void StatusModel::on_checkpoint(Job& j, const JobEvent& e) {
  ++checkpoints_;
  j.checkpoint_epoch = int_or(e.record, "epoch", j.checkpoint_epoch);
}

// The job finished: its time joins the mean job length (for the run's ETA), its epochs and
// test RMSE are final, and its worker is free.
void StatusModel::on_done(Job& j, const JobEvent& e) {
  j.state = "done";
  j.ended = e.at;
  j.seconds = double_or(e.record, "seconds", NAN);
  if (std::isfinite(j.seconds)) {
    done_seconds_ += j.seconds;
    ++done_count_timed_;
  }
  j.epoch = int_or(e.record, "epochs_run", j.epoch);
  if (j.max_epochs == 0) j.max_epochs = j.epoch;
  const json m = object_or_empty(e.record, "metrics");
  if (m.contains("test_rmse") && m["test_rmse"].is_number()) j.test_rmse = m["test_rmse"];
  rank_idle_if_running(j.rank, e.id);
  j.rank = -1;
}

// An attempt failed and the job will be retried: queued again.
void StatusModel::on_attempt_failed(Job& j, const JobEvent& e) {
  count_failure(j, e);
  j.state = "queued";
}

// The job gave up after its last allowed attempt.
void StatusModel::on_failed(Job& j, const JobEvent& e) {
  count_failure(j, e);
  j.state = "failed";
}

// What every failed attempt changes: the failure counts and reason, the attempt's end, and its
// worker is free.
void StatusModel::count_failure(Job& j, const JobEvent& e) {
  ++attempt_failures_;
  j.failures = std::max(j.failures + 1, int_or(e.record, "failures", 0));
  j.reason = string_or(e.record, ledger::kReason, "");
  rank_idle_if_running(j.rank, e.id);
  j.rank = -1;
  j.ended = e.at;
}

// The attempt stopped without the job's fault (a stop request): shown as "preempted".
void StatusModel::on_preempted(Job& j, const JobEvent& e) {
  ++preemptions_;
  requeue_without_fault(j, e, "preempted");
}

// The worker could not write the job's output: queued again, costing no attempt.
void StatusModel::on_storage_failed(Job& j, const JobEvent& e) { requeue_without_fault(j, e, "queued"); }

// The attempt ended without a failure being counted: the worker (the record's, else the job's)
// is free and the job waits in `state` with the reason shown.
void StatusModel::requeue_without_fault(Job& j, const JobEvent& e, const char* state) {
  rank_idle_if_running(e.rank >= 0 ? e.rank : j.rank, e.id);
  j.state = state;
  j.reason = string_or(e.record, ledger::kReason, "");
  j.rank = -1;
}

// `amnl run --retry-failed`: the failure count starts over and a failed job is queued again.
void StatusModel::on_failures_reset(Job& j, const JobEvent&) {
  j.failures = 0;
  if (j.state == "failed") j.state = "queued";
}

// ---- snapshot(): the status document, part by part ----

struct StatusModel::WorkerTally {
  int alive = 0, dead = 0, left = 0;
  int excluded = 0;  // of the alive ones
  json dead_ranks = json::array();
};

struct StatusModel::JobTally {
  int queued = 0, running = 0, done = 0, failed = 0, preempted = 0;
  double running_work = 0;  // seconds the running jobs whose pace is known have left
  int running_unknown = 0;  // running jobs without a pace yet
  double epoch_seconds_sum = 0;  // over the running attempts' completed epochs
  int epoch_seconds_n = 0, max_epochs_seen = 0;

  void count(const Job& j) {
    if (j.state == "queued") ++queued;
    else if (j.state == "running") ++running;
    else if (j.state == "done") ++done;
    else if (j.state == "failed") ++failed;
    else if (j.state == "preempted") ++preempted;
    max_epochs_seen = std::max(max_epochs_seen, j.max_epochs);
  }

  // An epoch's wall time as the ledger saw it (data loading, validation and checkpoints
  // included), which is what the ETA is about; the trainer's epoch_seconds when times are
  // missing. NaN before the attempt completed an epoch.
  static double epoch_pace(const Job& j) {
    if (j.attempt_epochs > 0 && j.last_progress > j.started) return (j.last_progress - j.started) / j.attempt_epochs;
    if (j.attempt_epochs > 0) return j.attempt_epoch_seconds / j.attempt_epochs;
    return NAN;
  }

  // A running job's ETA (NaN while its pace or length is unknown), adding its pace and the work
  // it has left (while the session lives) to the tally. It counts to the epoch early stopping
  // ends the job at if the selection metric does not improve again (each improvement moves it
  // later); to max_epochs when the trainer did not say (older ledgers, other trainers).
  double add_running(const Job& j, bool ended) {
    const double per_epoch = epoch_pace(j);
    if (!std::isfinite(per_epoch) || j.max_epochs <= 0) {
      ++running_unknown;
      return NAN;
    }
    const int last_epoch = j.early_stop_epoch > 0 ? std::min(j.early_stop_epoch, j.max_epochs) : j.max_epochs;
    const double eta = std::max(0, last_epoch - j.epoch) * per_epoch;
    epoch_seconds_sum += per_epoch * j.attempt_epochs;
    epoch_seconds_n += j.attempt_epochs;
    if (!ended) running_work += eta;
    return eta;
  }
};

json StatusModel::snapshot(double now, const json& outcome) const {
  const bool ended = std::isfinite(session_ended_);
  const double end = ended ? session_ended_ : now;  // clocks stop when the session ended
  const WorkerTally workers = tally_workers();
  JobTally tally;
  const json jobs = job_documents(end, ended, tally);
  const std::string state = sessions_ == 0 ? "not started" : ended ? "ended" : "running";
  return json{{"now", format_utc_iso(now)},
              {"state", state},
              {"session", session_document(ended)},
              {"coordinator", coordinator_document()},
              {"elapsed_s", number_or_null(end - session_started_)},
              {"eta_s", run_eta(tally, workers.alive - workers.excluded, ended)},
              {"totals", totals_document(tally, workers)},
              {"dead_ranks", workers.dead_ranks},
              {"jobs", jobs},
              {"ranks", rank_documents(now, ended)},
              {"ledger", {{"records", records_}, {"damaged_lines", damaged_lines_}, {"problem", ledger_problem_}}},
              {"outcome", outcome}};
}

StatusModel::WorkerTally StatusModel::tally_workers() const {
  WorkerTally t;
  for (const auto& [r, w] : ranks_) {
    if (w.state == "dead") {
      ++t.dead;
      t.dead_ranks.push_back(r);
    } else if (w.state == "left") {
      ++t.left;
    } else {
      ++t.alive;
      if (w.excluded) ++t.excluded;
    }
  }
  return t;
}

// One document per job, in job id order; each job is added to `tally`. Elapsed time is the
// current attempt's for a running job and the job's run time for a done one.
json StatusModel::job_documents(double end, bool ended, JobTally& tally) const {
  json docs = json::array();
  for (const auto& [id, j] : jobs_) {
    tally.count(j);
    double elapsed = NAN, eta = NAN;
    if (j.state == "running") {
      elapsed = end - j.started;
      eta = tally.add_running(j, ended);
    } else if (j.state == "done") {
      elapsed = std::isfinite(j.seconds) ? j.seconds : j.ended - j.started;
    }
    docs.push_back(job_document(id, j, elapsed, eta));
  }
  return docs;
}

json StatusModel::job_document(const std::string& id, const Job& j, double elapsed, double eta) const {
  return {{"job", id},
          {"state", j.state},
          {"attempt", j.attempt},
          {"rank", j.rank >= 0 ? json(j.rank) : json(nullptr)},
          {"host", j.rank >= 0 ? host_of(j.rank) : json(nullptr)},
          {"epoch", j.epoch},
          {"max_epochs", j.max_epochs},
          {"early_stop_epoch", j.early_stop_epoch > 0 ? json(j.early_stop_epoch) : json(nullptr)},
          {"val_rmse", number_or_null(j.val_rmse)},
          {"best_val_rmse", number_or_null(j.best_val_rmse)},
          {"val_all_windows_rmse", number_or_null(j.val_all_windows_rmse)},
          {"epoch_seconds", number_or_null(j.epoch_seconds)},
          {"elapsed_s", number_or_null(elapsed)},
          {"eta_s", number_or_null(eta)},
          {"failures", j.failures},
          {"checkpoint_epoch", j.checkpoint_epoch >= 0 ? json(j.checkpoint_epoch) : json(nullptr)},
          {"test_rmse", j.test_rmse},
          {"reason", j.reason}};
}

// The run's ETA, a rough estimate: what the running jobs have left plus the pending ones at
// the mean job length (of the done jobs, else from the running ones' pace), shared among the
// live workers. 0 when nothing is left; null when it cannot be told.
json StatusModel::run_eta(const JobTally& t, int alive, bool ended) const {
  const int pending = t.queued + t.preempted;
  if (pending + t.running == 0) return 0;
  if (ended || alive <= 0) return nullptr;
  double job_seconds = done_count_timed_ > 0 ? done_seconds_ / done_count_timed_ : NAN;
  if (!std::isfinite(job_seconds) && t.epoch_seconds_n > 0 && t.max_epochs_seen > 0)
    job_seconds = t.max_epochs_seen * t.epoch_seconds_sum / t.epoch_seconds_n;
  if (!std::isfinite(job_seconds)) return nullptr;
  return (t.running_work + t.running_unknown * job_seconds + pending * job_seconds) / alive;
}

// One document per worker rank of the latest session. A heartbeat age only for a live rank
// of a live session (others are not expected to be heard from).
json StatusModel::rank_documents(double now, bool ended) const {
  json ranks = json::array();
  for (const auto& [r, w] : ranks_) {
    auto info = rank_info_.find(r);
    auto heard = last_heard_.find(r);
    const bool live = w.state == "idle" || w.state == "busy";
    ranks.push_back({{"rank", r},
                     {"state", w.state},
                     {"job", w.job.empty() ? json(nullptr) : json(w.job)},
                     {"attempt", w.attempt},
                     {"host", host_of(r)},
                     {"pid", info == rank_info_.end() ? json(nullptr) : json(info->second.pid)},
                     {"heartbeat_age_s", heard != last_heard_.end() && live && !ended
                                             ? json(std::max(0.0, now - heard->second)) : json(nullptr)},
                     {"excluded", w.excluded},
                     {"reason", w.reason}});
  }
  return ranks;
}

json StatusModel::host_of(int rank) const {
  auto it = rank_info_.find(rank);
  return it == rank_info_.end() || it->second.host.empty() ? json(nullptr) : json(it->second.host);
}

json StatusModel::session_document(bool ended) const {
  return {{"id", session_},
          {"number", sessions_},
          {"started", format_utc_iso(session_started_)},
          {"ended", ended ? json(format_utc_iso(session_ended_)) : json(nullptr)},
          {"outcome", session_outcome_},
          {"reason", session_reason_},
          {"draining", draining_reason_.empty() ? json(nullptr) : json(draining_reason_)}};
}

json StatusModel::coordinator_document() const {
  auto coordinator = rank_info_.find(0);
  if (coordinator == rank_info_.end()) return nullptr;
  return {{"pid", coordinator->second.pid}, {"host", coordinator->second.host}};
}

json StatusModel::totals_document(const JobTally& jobs, const WorkerTally& workers) const {
  return {{"jobs", static_cast<int>(jobs_.size())},
          {"queued", jobs.queued},
          {"running", jobs.running},
          {"done", jobs.done},
          {"failed", jobs.failed},
          {"preempted", jobs.preempted},
          {"workers_alive", workers.alive},
          {"workers_dead", workers.dead},
          {"workers_left", workers.left},
          {"workers_excluded", workers.excluded},
          {"epochs_completed", epochs_completed_},
          {"checkpoints", checkpoints_},
          {"assignments", assignments_},
          {"attempt_failures", attempt_failures_},
          {"worker_deaths", worker_deaths_},
          {"preemptions", preemptions_},
          {"sessions", sessions_}};
}

}  // namespace amnl::orch
