#include "orchestrator/policy/scheduler.h"

#include "common/json_fields.h"
#include "orchestrator/rundir/ledger_events.h"
#include "orchestrator/rundir/ledger_fold.h"
#include "orchestrator/rundir/experiment.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace amnl::orch {

using nlohmann::json;

namespace {

// A record about one attempt on one rank: the event's own `fields` plus the keys every such
// record shares. (Objects are key-sorted, so the bytes do not depend on the order built.)
json attempt_record(const char* event, const std::string& job, int attempt, int rank,
                    json fields = json::object()) {
  fields[ledger::kEvent] = event;
  fields[ledger::kJob] = job;
  fields[ledger::kAttempt] = attempt;
  fields[ledger::kRank] = rank;
  return fields;
}

}  // namespace

const char* to_string(JobState s) {
  switch (s) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kDone: return "done";
    case JobState::kFailed: return "failed";
  }
  return "?";
}

const char* to_string(WorkerState s) {
  switch (s) {
    case WorkerState::kIdle: return "idle";
    case WorkerState::kBusy: return "busy";
    case WorkerState::kDead: return "dead";
    case WorkerState::kGone: return "gone";
  }
  return "?";
}

Scheduler::Scheduler(std::vector<JobSpec> jobs, SchedulerConfig config, LedgerSink sink,
                     const std::vector<json>& replayed)
    : config_(config), sink_(std::move(sink)) {
  for (auto& spec : jobs) {
    JobStatus st;
    st.spec = spec;
    jobs_.emplace(spec.id(), std::move(st));
  }
  // Replay (LedgerFold: the one reading of the ledger): attempt numbers continue; done stays
  // done; failed stays failed, and failures count across sessions, so rerunning the command
  // never gives a job a fresh retry budget by itself (`amnl run --retry-failed` does, on
  // purpose: a "failures_reset" record).
  LedgerFold fold;
  for (const json& r : replayed) fold.apply(r);
  done_seconds_ = fold.totals().done_seconds;
  done_timed_ = fold.totals().done_timed;
  for (const auto& [id, folded] : fold.jobs()) {
    auto it = jobs_.find(id);
    if (it != jobs_.end()) take_replayed(it->second, folded);
  }
  std::vector<const JobStatus*> pending;
  for (auto& [id, j] : jobs_)
    if (j.state == JobState::kQueued) pending.push_back(&j);
  std::stable_sort(pending.begin(), pending.end(), [](const JobStatus* a, const JobStatus* b) {
    if (a->spec.cost != b->spec.cost) return a->spec.cost > b->spec.cost;
    return a->spec.key < b->spec.key;
  });
  for (const JobStatus* j : pending) {
    const std::string id = j->spec.id();
    queue_.push_back(id);
    json rec{{ledger::kEvent, ledger::event::kQueued}, {ledger::kJob, id}, {"attempts_so_far", j->attempt}};
    if (j->failures > 0) {
      rec["failures_so_far"] = j->failures;
      rec["last_failure"] = j->reason;
    }
    emit(rec);
  }
}

void Scheduler::take_replayed(JobStatus& j, const FoldedJob& folded) {
  j.attempt = folded.attempt;
  j.failures = folded.failures;
  j.reason = folded.failure_reason;
  j.resumes = folded.resumes;
  if (folded.phase == JobPhase::kDone) {
    j.state = JobState::kDone;
    j.metrics = folded.metrics;
    j.epoch = folded.epochs_run;
  } else if (folded.phase == JobPhase::kFailed) {
    j.state = JobState::kFailed;
  }
}

SchedulerConfig scheduler_config(const FaultPolicy& fault) {
  SchedulerConfig c;
  c.worker_timeout_s = fault.worker_timeout_s;
  c.progress_timeout_s = fault.progress_timeout_s;
  c.max_attempts = fault.max_attempts;
  // A readmitted worker first stops its stale attempt (up to stop_grace_s for the checkpoint
  // attempt, which the lease then refuses) and then asks for work on its next heartbeat.
  c.readmit_grace_s = fault.stop_grace_s + fault.worker_timeout_s;
  return c;
}

std::vector<std::string> Scheduler::reset_failed_jobs(const std::string& reason) {
  std::vector<std::string> reset;
  for (auto& [id, j] : jobs_) {
    if (j.state != JobState::kFailed) continue;
    emit({{ledger::kEvent, ledger::event::kFailuresReset}, {ledger::kJob, id}, {"failures_before", j.failures},
          {"last_failure", j.reason}, {ledger::kReason, reason}});
    j.failures = 0;
    requeue_front(j);
    reset.push_back(id);
  }
  return reset;
}

void Scheduler::emit(json record) {
  if (sink_) sink_(record);
}

void Scheduler::add_worker(int rank, double now) {
  WorkerStatus w;
  w.rank = rank;
  w.last_heard = now;
  w.last_progress = now;
  workers_[rank] = w;
}

void Scheduler::on_heard(int rank, double now) {
  auto it = workers_.find(rank);
  if (it == workers_.end()) return;
  WorkerStatus& w = it->second;
  if (w.state == WorkerState::kDead || w.state == WorkerState::kGone) return;
  w.last_heard = now;
}

void Scheduler::on_ready(int rank, double now) {
  on_heard(rank, now);
  auto it = workers_.find(rank);
  if (it == workers_.end() || it->second.state != WorkerState::kIdle) return;
  it->second.ready = true;
  it->second.readmitted_at = -1;
}

void Scheduler::on_heartbeat(int rank, const std::string& job, int attempt, int64_t counter, double now) {
  on_heard(rank, now);
  auto it = workers_.find(rank);
  if (it == workers_.end()) return;
  WorkerStatus& w = it->second;
  if (w.state != WorkerState::kBusy || w.job != job || w.attempt != attempt) return;
  if (counter != w.progress_counter) {
    w.progress_counter = counter;
    w.last_progress = now;
  }
}

JobStatus* Scheduler::current_attempt(int rank, const std::string& job, int attempt) {
  auto wit = workers_.find(rank);
  if (wit == workers_.end() || wit->second.state != WorkerState::kBusy) return nullptr;
  auto jit = jobs_.find(job);
  if (jit == jobs_.end()) return nullptr;
  JobStatus& j = jit->second;
  if (j.state != JobState::kRunning || j.rank != rank || j.attempt != attempt) return nullptr;
  if (wit->second.job != job || wit->second.attempt != attempt) return nullptr;
  return &j;
}

bool Scheduler::on_progress(int rank, const std::string& job, int attempt, const ProgressReport& p, double now) {
  on_heard(rank, now);
  JobStatus* j = current_attempt(rank, job, attempt);
  if (!j) return false;
  WorkerStatus& w = workers_[rank];
  if (p.batches_done != w.progress_counter) {
    w.progress_counter = p.batches_done;
    w.last_progress = now;
  }
  if (completes_epoch(j->attempt_last_epoch, p.epoch, p.epoch_seconds)) {
    ++j->attempt_epochs;
    j->last_epoch_at = now;
    if (std::isfinite(p.epoch_seconds)) j->attempt_epoch_seconds += p.epoch_seconds;
  }
  if (p.epoch >= 0) j->attempt_last_epoch = p.epoch;
  j->epoch = p.epoch;
  j->max_epochs = p.max_epochs;
  j->early_stop_epoch = p.early_stop_epoch;
  json fields{{"epoch", p.epoch},
              {"max_epochs", p.max_epochs},
              {"val_rmse", p.val_rmse},
              {"best_val_rmse", p.best_val_rmse},
              {"val_all_windows_rmse", p.val_all_windows_rmse},
              {"epoch_seconds", p.epoch_seconds}};
  if (p.early_stop_epoch > 0) fields["early_stop_epoch"] = p.early_stop_epoch;
  emit(attempt_record(ledger::event::kProgress, job, attempt, rank, std::move(fields)));
  if (!p.checkpoint.empty())
    emit(attempt_record(ledger::event::kCheckpoint, job, attempt, rank, {{"epoch", p.epoch}, {"path", p.checkpoint}}));
  return true;
}

bool Scheduler::on_result(int rank, const std::string& job, int attempt, const ResultReport& r, double now) {
  on_heard(rank, now);
  JobStatus* j = current_attempt(rank, job, attempt);
  if (!j) return false;
  WorkerStatus& w = workers_[rank];
  w.state = WorkerState::kIdle;
  w.ready = false;
  w.job.clear();
  w.attempt = 0;
  j->rank = -1;
  switch (r.end) {
    case JobEnd::kDone:
      j->state = JobState::kDone;
      j->metrics = r.metrics;
      j->epoch = r.epochs_run;
      done_seconds_ += now - j->started_at;
      ++done_timed_;
      emit(attempt_record(ledger::event::kDone, job, attempt, rank,
                          {{"epochs_run", r.epochs_run}, {"resumed_from_epoch", r.resumed_from_epoch},
                           {"final_model", r.final_model}, {"seconds", now - j->started_at}, {"metrics", r.metrics}}));
      exclude(health_.on_done(rank, job));
      break;
    case JobEnd::kPreempted:
      emit(attempt_record(ledger::event::kPreempted, job, attempt, rank,
                          {{"epochs_run", r.epochs_run}, {ledger::kReason, r.reason}}));
      requeue_front(*j);
      break;
    case JobEnd::kFailed:
      attempt_failed(*j, r.reason, now);
      exclude(health_.on_failure(rank, job, r.reason));
      break;
    case JobEnd::kFenced:
      // The current attempt cannot be fenced unless its lease was lost: retry it.
      attempt_failed(*j, "fenced unexpectedly: " + r.reason, now);
      exclude(health_.on_failure(rank, job, "fenced unexpectedly: " + r.reason));
      break;
    case JobEnd::kStorageFailed:
      storage_failed(*j, attempt, rank, r.reason);
      break;
  }
  return true;
}

void Scheduler::attempt_failed(JobStatus& j, const std::string& reason, double now) {
  ++j.failures;
  j.reason = reason;
  j.rank = -1;
  const std::string id = j.spec.id();
  if (j.failures >= config_.max_attempts) {
    j.state = JobState::kFailed;
    emit({{ledger::kEvent, ledger::event::kFailed}, {ledger::kJob, id}, {ledger::kAttempt, j.attempt},
          {"failures", j.failures}, {ledger::kReason, reason}});
  } else {
    emit({{ledger::kEvent, ledger::event::kAttemptFailed}, {ledger::kJob, id}, {ledger::kAttempt, j.attempt},
          {"failures", j.failures}, {"max_attempts", config_.max_attempts}, {ledger::kReason, reason}});
    requeue_front(j);
  }
}

void Scheduler::requeue_front(JobStatus& j) {
  j.state = JobState::kQueued;
  j.rank = -1;
  queue_.push_front(j.spec.id());
}

void Scheduler::worker_lost(int rank, WorkerState state, const std::string& reason, double now,
                            bool readmittable) {
  auto it = workers_.find(rank);
  if (it == workers_.end()) return;
  WorkerStatus& w = it->second;
  if (w.state == WorkerState::kDead || w.state == WorkerState::kGone) return;
  const bool busy = w.state == WorkerState::kBusy;
  const std::string job = w.job;
  const int attempt = w.attempt;
  w.state = state;
  w.ready = false;
  w.job.clear();
  w.attempt = 0;
  w.readmittable = readmittable;
  w.readmitted_at = -1;
  json rec{{ledger::kEvent, state == WorkerState::kDead ? ledger::event::kWorkerDead : ledger::event::kWorkerLeft},
           {ledger::kRank, rank}, {ledger::kReason, reason}};
  if (busy) {
    rec[ledger::kJob] = job;
    rec[ledger::kAttempt] = attempt;
  }
  emit(rec);
  if (busy) {
    JobStatus& j = jobs_.at(job);
    if (state == WorkerState::kDead) {
      attempt_failed(j, "worker rank " + std::to_string(rank) + " lost: " + reason, now);
    } else {
      // Leaving with a running job (should have reported preempted first): not its fault.
      emit(attempt_record(ledger::event::kPreempted, job, attempt, rank, {{ledger::kReason, reason}}));
      requeue_front(j);
    }
  }
}

void Scheduler::on_worker_left(int rank, const std::string& reason, double now) {
  worker_lost(rank, WorkerState::kGone, reason, now);
}

void Scheduler::declare_dead(int rank, const std::string& reason, double now) {
  worker_lost(rank, WorkerState::kDead, reason, now);
}

std::vector<int> Scheduler::check_deadlines(double now, const DepartureLookup& departed) {
  std::vector<int> lost;
  for (auto& [rank, w] : workers_) {
    if (w.state == WorkerState::kDead || w.state == WorkerState::kGone) continue;
    char reason[200] = {0};
    bool silent = false;
    if (now - w.last_heard > config_.worker_timeout_s) {
      silent = true;
      std::snprintf(reason, sizeof reason, "no message for %.1f s (worker_timeout_s %g)", now - w.last_heard,
                    config_.worker_timeout_s);
    } else if (w.state == WorkerState::kBusy && now - w.last_progress > config_.progress_timeout_s) {
      std::snprintf(reason, sizeof reason, "no progress for %.1f s (progress_timeout_s %g)", now - w.last_progress,
                    config_.progress_timeout_s);
    } else if (w.readmitted_at >= 0 && now - w.readmitted_at > config_.readmit_grace_s) {
      std::snprintf(reason, sizeof reason,
                    "readmitted %.1f s ago but its stale attempt never stopped (readmit grace %g s)",
                    now - w.readmitted_at, config_.readmit_grace_s);
    }
    if (reason[0] == '\0') continue;
    lost.push_back(rank);
    if (auto why = departed ? departed(rank) : std::nullopt) {
      worker_lost(rank, WorkerState::kGone, *why, now);
    } else {
      // Silence alone may be a network blip: the rank is readmitted if it speaks again. Only
      // once per readmission: a readmitted rank that never asks for work again stays dead.
      worker_lost(rank, WorkerState::kDead, reason, now, silent && w.readmitted_at < 0);
    }
  }
  return lost;
}

bool Scheduler::readmit(int rank, double now) {
  auto it = workers_.find(rank);
  if (it == workers_.end() || it->second.state != WorkerState::kDead || !it->second.readmittable) return false;
  WorkerStatus& w = it->second;
  const double silent_for = now - w.last_heard;
  w.state = WorkerState::kIdle;
  w.ready = false;  // until it has dropped its stale attempt and asks
  w.readmittable = false;
  w.last_heard = now;
  w.last_progress = now;
  w.progress_counter = -1;
  w.readmitted_at = now;
  ++w.readmissions;
  char reason[160];
  std::snprintf(reason, sizeof reason,
                "heard from again %.1f s after its last message (a network blip or a paused node); its old "
                "attempt stays fenced",
                silent_for);
  emit({{ledger::kEvent, ledger::event::kWorkerReadmitted}, {ledger::kRank, rank}, {ledger::kReason, reason},
        {"readmissions", w.readmissions}});
  return true;
}

void Scheduler::on_coordinator_stall(double gap_s, double now) {
  int refreshed = 0;
  for (auto& [rank, w] : workers_) {
    if (!may_send(rank)) continue;
    w.last_heard = std::max(w.last_heard, now);
    w.last_progress = std::min(now, w.last_progress + gap_s);
    if (w.readmitted_at >= 0) w.readmitted_at = std::min(now, w.readmitted_at + gap_s);
    ++refreshed;
  }
  char reason[200];
  std::snprintf(reason, sizeof reason,
                "the coordinator's loop did not run for %.1f s (paused, swapped out or blocked on storage): %d "
                "live worker(s) given a fresh deadline",
                gap_s, refreshed);
  emit({{ledger::kEvent, ledger::event::kCoordinatorStalled}, {"seconds", gap_s}, {ledger::kReason, reason}});
}

void Scheduler::exclude(const std::vector<RankHealth::Exclusion>& exclusions) {
  for (const RankHealth::Exclusion& e : exclusions)
    emit({{ledger::kEvent, ledger::event::kWorkerExcluded}, {ledger::kRank, e.rank}, {ledger::kReason, e.reason}});
}

bool Scheduler::better_left_to_another(const JobStatus& job, int rank) const {
  const std::string id = job.spec.id();
  if (!health_.failed_on(id, rank)) return false;
  for (const auto& [other, w] : workers_)
    if (other != rank && may_send(other) && !health_.excluded(other) && !health_.failed_on(id, other)) return true;
  return false;
}

std::vector<Assignment> Scheduler::dispatch(double now) {
  std::vector<Assignment> out;
  if (draining_) return out;
  // Drop queue entries that are no longer queued (defensive: each job is queued once).
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                              [this](const std::string& id) { return jobs_.at(id).state != JobState::kQueued; }),
               queue_.end());
  for (auto& [rank, w] : workers_) {
    if (queue_.empty()) break;
    if (w.state != WorkerState::kIdle || !w.ready || health_.excluded(rank)) continue;
    // The first queued job this rank should take; none: it waits (the others go elsewhere).
    const auto pick = std::find_if(queue_.begin(), queue_.end(), [&](const std::string& id) {
      return !better_left_to_another(jobs_.at(id), rank);
    });
    if (pick == queue_.end()) continue;
    JobStatus& j = jobs_.at(*pick);
    queue_.erase(pick);
    j.state = JobState::kRunning;
    j.attempt += 1;
    j.rank = rank;
    j.started_at = now;
    j.attempt_epochs = 0;
    j.attempt_last_epoch = -1;
    j.last_epoch_at = NAN;
    j.attempt_epoch_seconds = 0;
    if (j.attempt > 1) ++j.resumes;
    w.state = WorkerState::kBusy;
    w.ready = false;
    w.job = j.spec.id();
    w.attempt = j.attempt;
    w.last_progress = now;
    w.progress_counter = -1;
    emit(attempt_record(ledger::event::kAssigned, w.job, j.attempt, rank));
    out.push_back(Assignment{rank, j.spec.key, w.job, j.attempt});
  }
  return out;
}

void Scheduler::assignment_failed(const Assignment& a, const std::string& reason) {
  JobStatus* j = current_attempt(a.rank, a.job, a.attempt);
  if (!j) return;
  WorkerStatus& w = workers_[a.rank];
  w.state = WorkerState::kIdle;
  w.ready = true;
  w.job.clear();
  storage_failed(*j, a.attempt, a.rank, reason);
}

// The disk, not the job: no attempt is charged. The coordinator asks storage_failure() and
// stops the run cleanly; the job resumes from its newest checkpoint on the rerun.
void Scheduler::storage_failed(JobStatus& j, int attempt, int rank, const std::string& reason) {
  const std::string job = j.spec.id();
  emit(attempt_record(ledger::event::kStorageFailed, job, attempt, rank, {{ledger::kReason, reason}}));
  if (storage_failure_.empty()) storage_failure_ = job + ": " + reason;
  requeue_front(j);
}

void Scheduler::start_draining(const std::string& reason) {
  if (draining_) return;
  draining_ = true;
  emit({{ledger::kEvent, ledger::event::kDraining}, {ledger::kReason, reason}});
}

bool Scheduler::all_jobs_ended() const {
  for (const auto& [id, j] : jobs_)
    if (j.state != JobState::kDone && j.state != JobState::kFailed) return false;
  return true;
}

bool Scheduler::any_busy() const {
  for (const auto& [r, w] : workers_)
    if (w.state == WorkerState::kBusy) return true;
  return false;
}

bool Scheduler::may_send(int rank) const {
  auto it = workers_.find(rank);
  return it != workers_.end() &&
         (it->second.state == WorkerState::kIdle || it->second.state == WorkerState::kBusy);
}

std::vector<int> Scheduler::live_ranks() const {
  std::vector<int> out;
  for (const auto& [r, w] : workers_)
    if (may_send(r)) out.push_back(r);
  return out;
}

std::vector<int> Scheduler::busy_ranks() const {
  std::vector<int> out;
  for (const auto& [r, w] : workers_)
    if (w.state == WorkerState::kBusy) out.push_back(r);
  return out;
}

Counts Scheduler::counts() const {
  Counts c;
  for (const auto& [id, j] : jobs_) {
    switch (j.state) {
      case JobState::kDone: ++c.done; break;
      case JobState::kFailed: ++c.failed; break;
      case JobState::kRunning: ++c.running; break;
      case JobState::kQueued: ++c.queued; break;
    }
  }
  for (const auto& [r, w] : workers_) {
    if (may_send(r)) ++c.live_workers;
    else ++c.dead_workers;
    if (may_send(r) && health_.excluded(r)) ++c.excluded_workers;
  }
  return c;
}

double Scheduler::mean_job_seconds() const { return done_timed_ > 0 ? done_seconds_ / done_timed_ : NAN; }

}  // namespace amnl::orch
