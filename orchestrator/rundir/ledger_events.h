#pragma once
// The ledger's vocabulary in one place: every record's "event" name and the field keys its
// records carry. Writers (scheduler, coordinator) and readers (report_collect, status_model)
// use these constants so that a renamed or misspelt event is a compile error, not a record
// that readers silently skip. The field lists below document what each writer emits today;
// record_fields.cc checks the types of the shared fields when a ledger is read back.
namespace amnl::orch::ledger {

// The key every record has: which of the events below it is.
inline constexpr const char* kEvent = "event";

// Field keys shared by many events.
inline constexpr const char* kJob = "job";          // job id, "<dataset>-s<seed>" (job_id.h)
inline constexpr const char* kAttempt = "attempt";  // 1-based attempt number of the job
inline constexpr const char* kRank = "rank";        // MPI rank of the worker concerned
inline constexpr const char* kReason = "reason";    // human-readable why

namespace event {
// Coordinator: a session begins. Fields: session, ranks, replayed_records,
// damaged_ledger_lines, experiment.
inline constexpr const char* kSessionStarted = "session_started";
// Coordinator: a session ends. Fields: outcome, reason.
inline constexpr const char* kSessionEnded = "session_ended";
// Scheduler: a job enters the queue. Fields: job, attempts_so_far, [failures_so_far, last_failure].
inline constexpr const char* kQueued = "queued";
// Scheduler: a job is handed to a worker. Fields: job, attempt, rank.
inline constexpr const char* kAssigned = "assigned";
// Scheduler: an epoch finished. Fields: job, attempt, rank, epoch, max_epochs, val_rmse,
// best_val_rmse, epoch_seconds.
inline constexpr const char* kProgress = "progress";
// Scheduler: a checkpoint was written. Fields: job, attempt, rank, epoch, path.
inline constexpr const char* kCheckpoint = "checkpoint";
// Scheduler: a job finished. Fields: job, attempt, rank, epochs_run, resumed_from_epoch,
// final_model, seconds, metrics. Coordinator (recovered from metrics.json): job, attempt,
// epochs_run, resumed_from_epoch, metrics, recovered.
inline constexpr const char* kDone = "done";
// Scheduler: an attempt stopped without the job's fault; it is requeued. Fields: job, attempt,
// rank, [epochs_run], reason.
inline constexpr const char* kPreempted = "preempted";
// Scheduler: the worker could not write its output; requeued. Fields: job, attempt, rank, reason.
inline constexpr const char* kStorageFailed = "storage_failed";
// Scheduler: an attempt failed and will be retried. Fields: job, attempt, failures,
// max_attempts, reason.
inline constexpr const char* kAttemptFailed = "attempt_failed";
// Scheduler: the job gave up after max_attempts. Fields: job, attempt, failures, reason.
inline constexpr const char* kFailed = "failed";
// Scheduler (`amnl run --retry-failed`): a failed job is queued again. Fields: job,
// failures_before, last_failure, reason.
inline constexpr const char* kFailuresReset = "failures_reset";
// Scheduler: a worker died / left. Fields: rank, reason, [job, attempt when it was busy].
inline constexpr const char* kWorkerDead = "worker_dead";
inline constexpr const char* kWorkerLeft = "worker_left";
// Scheduler: a rank declared dead for silence spoke again and is a live, idle worker again (its
// old attempt stays fenced). Fields: rank, reason, readmissions.
inline constexpr const char* kWorkerReadmitted = "worker_readmitted";
// Scheduler: the coordinator's own loop stalled; live workers got a fresh deadline. Fields:
// seconds, reason.
inline constexpr const char* kCoordinatorStalled = "coordinator_stalled";
// Scheduler: a live worker gets no new job this session (RankHealth: it failed several jobs in a
// row that then finished elsewhere). Fields: rank, reason.
inline constexpr const char* kWorkerExcluded = "worker_excluded";
// Scheduler: no new work is handed out. Fields: reason.
inline constexpr const char* kDraining = "draining";
}  // namespace event

}  // namespace amnl::orch::ledger
