#pragma once
// The one reader of what ledger.jsonl means: decoded records, folded one at a time in ledger
// order, into the state of every job and worker rank. The scheduler's replay of a run dir,
// `amnl status`, the live status server, /metrics and the report all build on this class, so a
// job cannot be "done" in one of them and "failed" in another.
//
// The rules, written once:
// - done is final. Once a job has a done record, nothing but another done record changes it: a
//   failed, preempted or storage_failed record that arrives later comes from an attempt that
//   had already lost the job (fenced by the lease), and a queued or assigned record cannot
//   follow a done one in a ledger the scheduler wrote.
// - A record of an attempt older than the job's current one (the highest attempt handed out) is
//   stale: it frees the worker it names, but the job's state, reason, failures and progress are
//   the current attempt's. A done record is exempt: a finished job's result is real work,
//   whichever attempt wrote it (a reassigned attempt can finish first).
// - Attempt numbers only grow, stale records included, so numbering never goes back.
// - A job still running when its session ends, or when a new session starts (the previous
//   coordinator died without a record), was interrupted: it is queued again.
//
// Unknown events, and records without the fields an event needs, are ignored, never fatal: the
// ledger gains events over time and old run dirs must keep reading. Fields are read with
// common/json_fields.h, so a mistyped or out-of-range field reads as absent. The fold never
// reads files or clocks: it is fed records (from a replay or live as they are appended).
#include <cmath>
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace amnl::orch {

enum class JobPhase { kQueued, kRunning, kDone, kFailed, kPreempted };
const char* to_string(JobPhase p);  // queued|running|done|failed|preempted

// How the job's latest attempt stopped without finishing, for a reader that explains it.
struct AttemptStop {
  // The fold's own event: the attempt was running when its session went away.
  static constexpr const char* kInterrupted = "interrupted";
  std::string event;   // "" (none yet), attempt_failed, failed, preempted, storage_failed,
                       // failures_reset, interrupted
  std::string reason;  // the record's reason (interrupted: why the session went away)
  int attempt = 0;
  int epoch = 0;           // preempted/interrupted: the epoch it had reached
  int max_attempts = 0;    // attempt_failed: the budget (0: not known)
};

struct FoldedJob {
  JobPhase phase = JobPhase::kQueued;
  bool seen = false;   // some record names it
  int attempt = 0;     // the highest attempt number handed out (or named)
  int rank = -1;       // the current attempt's worker while running
  int failures = 0;    // failed attempts (own failure or worker death), over every session
  std::string failure_reason;  // the last failed attempt's reason
  std::string reason;          // what a status view shows: the latest stop's or failure's reason
  AttemptStop stop;            // the latest stop of an attempt (cleared when one is assigned)
  int resumes = 0;             // attempts after the first (each resumes from a checkpoint)
  // Progress of the current attempt (and, once done, of the job).
  int epoch = 0, max_epochs = 0;
  int early_stop_epoch = 0;  // the attempt's latest report of it (0: not known)
  double val_rmse = NAN, best_val_rmse = NAN, val_all_windows_rmse = NAN, epoch_seconds = NAN;
  std::map<int, double> val_rmse_by_epoch;  // the selection RMSE per epoch (latest report wins)
  double attempt_epoch_seconds = 0;  // sum over the attempt's completed epochs
  int attempt_epochs = 0;            // completed epochs of the attempt
  int attempt_last_epoch = -1;       // epoch of the attempt's latest progress record (-1: none)
  int checkpoint_epoch = -1;
  // Record times (Unix seconds; NaN when unknown) of the current attempt.
  double started = NAN, ended = NAN, last_progress = NAN;
  double seconds = NAN;         // the done record's wall time
  nlohmann::json done;          // the done record (null until there is one)
  nlohmann::json metrics = nlohmann::json::object();  // the done record's metrics
  int epochs_run = 0;           // the done record's
};

struct FoldedRank {
  std::string state = "idle";  // idle|busy|dead|left (ranks of the latest session)
  std::string job, reason;
  int attempt = 0;
  bool excluded = false;  // alive, but given no new job (a worker_excluded record)
};

struct FoldedSession {
  int number = 0;  // sessions seen
  std::string id, outcome, reason, draining_reason;
  double started = NAN, ended = NAN;  // record times (NaN: the record had none)
  bool closed = false;                 // the latest session has its session_ended record
  bool open() const { return number > 0 && !closed; }
};

// Event totals over the whole ledger (stale records included: they happened).
struct LedgerTotals {
  int records = 0, assignments = 0, attempt_failures = 0;
  int64_t epochs_completed = 0, checkpoints = 0, preemptions = 0, worker_deaths = 0;
  double done_seconds = 0;  // sum of the done records' wall times that are known
  int done_timed = 0;
};

// Whether a progress report of `epoch` (with the trainer's `epoch_seconds`) completes an epoch of
// an attempt whose latest report was of `last_epoch` (-1: none yet). Workers also report when
// training starts (epoch 0, or the epoch a resumed attempt starts from, with no validation yet):
// only a count that grew is a completed epoch; a trainer that reports only epoch ends says so
// with epoch_seconds. The fold and the scheduler (for the ETA) both count epochs by it.
bool completes_epoch(int last_epoch, int epoch, double epoch_seconds);

class LedgerFold {
 public:
  // A job the run is made of (from experiment.json), so that it shows before its first record.
  void add_job(const std::string& job);
  // Folds one record in. Records must come in ledger order.
  void apply(const nlohmann::json& record);

  const std::map<std::string, FoldedJob>& jobs() const { return jobs_; }
  const std::map<int, FoldedRank>& ranks() const { return ranks_; }
  const FoldedSession& session() const { return session_; }
  const LedgerTotals& totals() const { return totals_; }

 private:
  struct JobEvent;  // a record about one job, with the fields most handlers read
  using JobHandler = void (LedgerFold::*)(FoldedJob&, const JobEvent&);

  double note_time(const nlohmann::json& record);
  bool apply_session_or_rank_event(const std::string& event, const nlohmann::json& record, double at);
  void interrupt_running(const std::string& why);
  void on_session_started(const nlohmann::json& record, double at);
  void on_session_ended(const nlohmann::json& record, double at);
  void on_worker_gone(const nlohmann::json& record, bool died);
  void on_worker_readmitted(const nlohmann::json& record);
  void on_worker_excluded(const nlohmann::json& record);
  void count_event(const std::string& event, const JobEvent& e);
  bool is_stale(const FoldedJob& j, const std::string& event, const JobEvent& e) const;
  static JobHandler job_handler(const std::string& event);
  void on_queued(FoldedJob& j, const JobEvent& e);
  void on_assigned(FoldedJob& j, const JobEvent& e);
  void on_progress(FoldedJob& j, const JobEvent& e);
  void on_checkpoint(FoldedJob& j, const JobEvent& e);
  void on_done(FoldedJob& j, const JobEvent& e);
  void on_attempt_failed(FoldedJob& j, const JobEvent& e);
  void on_failed(FoldedJob& j, const JobEvent& e);
  void count_failure(FoldedJob& j, const JobEvent& e);
  void on_preempted(FoldedJob& j, const JobEvent& e);
  void on_storage_failed(FoldedJob& j, const JobEvent& e);
  void requeue_without_fault(FoldedJob& j, const JobEvent& e, JobPhase phase);
  void on_failures_reset(FoldedJob& j, const JobEvent& e);
  void end_attempt(FoldedJob& j, const JobEvent& e);
  void free_rank(int rank, const std::string& job, int attempt);

  std::map<std::string, FoldedJob> jobs_;
  std::map<int, FoldedRank> ranks_;
  FoldedSession session_;
  LedgerTotals totals_;
  double last_time_ = NAN;
};

}  // namespace amnl::orch
