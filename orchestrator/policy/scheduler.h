#pragma once
// The scheduling and failure policy of a run, with no MPI and no clock of its own: the
// coordinator feeds it events (a worker is ready, heartbeats, progress, results, deaths) with the
// current time, asks it for assignments, and executes what it decides. Every state change goes
// to the ledger through a LedgerSink, so the same class replays a run dir and is tested with fake
// workers and a fake clock.
//
// Rules:
// - Jobs run longest-expected first; a job that lost its worker goes to the front of the queue.
// - Each assignment is a new attempt (numbers continue across reruns of the same run dir).
// - A worker not heard from for worker_timeout_s, or busy without progress for
//   progress_timeout_s, is declared dead. A worker declared dead for silence that is heard from
//   again (a network blip, a paused node) is readmitted as a new member: its old attempt stays
//   fenced (the job went to another rank with a newer lease), it is told to drop that attempt,
//   and it gets new work once it asks. A hung worker (no progress), a process found gone and a
//   worker that left are never assigned again.
// - Deadlines count only the time the coordinator was listening: after a gap in its own loop
//   (on_coordinator_stall: SIGSTOP, swap, a slow disk) every live worker gets a fresh deadline.
// - A job's own failure and the death of its worker both count towards max_attempts; a
//   preemption does not. After max_attempts the job is "failed" with the last reason. Failures
//   count across sessions of the run dir: a rerun does not retry a failed job unless asked to
//   (reset_failed_jobs, `amnl run --retry-failed`).
// - Results and progress from anything but the job's current (rank, attempt) are ignored.
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/job.h"
#include "orchestrator/rundir/job_id.h"
#include "orchestrator/protocol/job_reports.h"
#include "orchestrator/policy/rank_health.h"

namespace amnl::orch {

struct FoldedJob;

struct JobSpec {
  JobKey key;
  double cost = 0;  // expected length (e.g. training rows); larger runs first
  std::string id() const { return job_id(key); }
};

struct SchedulerConfig {
  double worker_timeout_s = 60;
  double progress_timeout_s = 900;
  int max_attempts = 3;
  // A readmitted worker must stop its stale attempt and ask for work within this long, or it is
  // declared dead for good (a trainer that ignores stop).
  double readmit_grace_s = 120;
};

struct FaultPolicy;  // experiment.h
// The scheduler's part of the experiment's fault policy: the one conversion (a test sets every
// field).
SchedulerConfig scheduler_config(const FaultPolicy& fault);

// Why a worker the deadlines would declare dead left on purpose (its departure note, see
// departure.h), or nullopt: then it is dead.
using DepartureLookup = std::function<std::optional<std::string>(int rank)>;

enum class JobState { kQueued, kRunning, kDone, kFailed };
enum class WorkerState { kIdle, kBusy, kDead, kGone };
const char* to_string(JobState s);
const char* to_string(WorkerState s);

struct JobStatus {
  JobSpec spec;
  JobState state = JobState::kQueued;
  int attempt = 0;        // last attempt number handed out (0: never assigned)
  int failures = 0;       // failed attempts (own failure or worker death), over every session
  int rank = -1;          // while running
  int epoch = 0, max_epochs = 0;
  int early_stop_epoch = 0;  // the current attempt's latest report of it (0: not known)
  double started_at = 0;  // session time of the current attempt's assignment
  // The current attempt's pace, for the ETA (run_eta.h): its completed epochs (completes_epoch),
  // the session time of the latest one, and the trainer's epoch_seconds summed over them.
  int attempt_epochs = 0, attempt_last_epoch = -1;
  double last_epoch_at = std::numeric_limits<double>::quiet_NaN();
  double attempt_epoch_seconds = 0;
  std::string reason;     // last failure reason
  nlohmann::json metrics; // when done
  int resumes = 0;        // attempts that resumed from a checkpoint
};

struct WorkerStatus {
  int rank = 0;
  WorkerState state = WorkerState::kIdle;
  bool ready = false;      // idle AND has asked for work
  std::string job;         // while busy
  int attempt = 0;
  double last_heard = 0;
  double last_progress = 0;
  int64_t progress_counter = -1;
  // Why it was declared dead, and whether hearing from it again readmits it (silence: yes; a
  // hung trainer, a process found gone, a readmission whose stale attempt never stopped: no).
  bool readmittable = false;
  int readmissions = 0;
  double readmitted_at = -1;  // >= 0 while a readmitted worker has not asked for work yet
};

struct Assignment {
  int rank = 0;
  JobKey key;
  std::string job;
  int attempt = 0;
};

struct Counts {
  int done = 0, failed = 0, running = 0, queued = 0;
  int live_workers = 0, dead_workers = 0;
  int excluded_workers = 0;  // live, but given no new job (RankHealth); counted in live_workers too
  int usable_workers() const { return live_workers - excluded_workers; }
};

// Receives each state change; the coordinator appends it to the ledger and logs it.
using LedgerSink = std::function<void(const nlohmann::json& record)>;

class Scheduler {
 public:
  // `replayed`: the ledger records of earlier sessions on this run dir (may be empty). Done jobs
  // stay done; everything else is queued again with its attempt numbering continued.
  Scheduler(std::vector<JobSpec> jobs, SchedulerConfig config, LedgerSink sink,
            const std::vector<nlohmann::json>& replayed = {});

  void add_worker(int rank, double now);
  // The worker is idle and wants work (also: it finished its job).
  void on_ready(int rank, double now);
  // Any message from a worker proves it is alive; `counter` is its progress counter (-1: none).
  void on_heard(int rank, double now);
  void on_heartbeat(int rank, const std::string& job, int attempt, int64_t counter, double now);
  // Returns false (and changes nothing) for a stale attempt.
  bool on_progress(int rank, const std::string& job, int attempt, const ProgressReport& p, double now);
  bool on_result(int rank, const std::string& job, int attempt, const ResultReport& r, double now);
  // The worker exits by itself (preempted by SIGTERM, watchdog): never send to it again.
  void on_worker_left(int rank, const std::string& reason, double now);
  // Death detected outside the deadlines (kill(pid, 0) failed): never readmitted.
  void declare_dead(int rank, const std::string& reason, double now);
  // Applies the deadlines; returns ranks newly declared dead or found departed. A rank that
  // `departed` names left on purpose: its job is requeued without charging an attempt.
  std::vector<int> check_deadlines(double now, const DepartureLookup& departed = {});
  // A rank declared dead for silence spoke again: readmitted as a new member (idle, not ready
  // until it asks; the caller tells it to drop its stale attempt). Returns false, changing
  // nothing, for any other rank (live, gone, or dead for a reason that readmission cannot cure).
  bool readmit(int rank, double now);
  // The coordinator's own loop did not run for `gap_s` seconds (its process was paused, swapped
  // out, or blocked on storage): nobody was listening, so every live worker's silence starts
  // over from `now` and busy workers' progress deadlines move by the gap.
  void on_coordinator_stall(double gap_s, double now);
  // Pairs ready workers with queued jobs. The caller must write the lease and send each one, or
  // call assignment_failed. An excluded rank gets nothing, and a job does not go back to a rank
  // it failed on while another usable rank could take it (RankHealth).
  std::vector<Assignment> dispatch(double now);
  // The lease could not be written: a storage failure of the run dir, not of the job, so no
  // attempt is charged; the job is queued again and storage_failure() says why.
  void assignment_failed(const Assignment& a, const std::string& reason);

  // Gives every failed job a fresh retry budget and queues it (a deliberate user decision, e.g.
  // after fixing a data file); records "failures_reset". Returns the jobs reset.
  std::vector<std::string> reset_failed_jobs(const std::string& reason);

  // Preemption: no new assignments from now on; running jobs are expected to report preempted.
  void start_draining(const std::string& reason);
  bool draining() const { return draining_; }
  // The first job attempt that could not write its files (disk full, I/O error), "" if none.
  const std::string& storage_failure() const { return storage_failure_; }

  bool all_jobs_ended() const;     // every job done or failed
  bool any_busy() const;
  bool may_send(int rank) const;   // live (idle or busy): the only ranks a message may go to
  bool excluded(int rank) const { return health_.excluded(rank); }
  std::vector<int> live_ranks() const;
  std::vector<int> busy_ranks() const;
  Counts counts() const;
  const std::map<std::string, JobStatus>& jobs() const { return jobs_; }
  const std::map<int, WorkerStatus>& workers() const { return workers_; }
  // Mean wall time of the finished jobs, over every session of the run dir (their done records'
  // seconds, as LedgerFold totals them); NaN while none is timed.
  double mean_job_seconds() const;

 private:
  // A job's state from the replayed ledger (folded by LedgerFold).
  static void take_replayed(JobStatus& j, const FoldedJob& folded);
  JobStatus* current_attempt(int rank, const std::string& job, int attempt);
  // A running job lost its attempt (death, own failure, fencing): retry or fail it.
  void attempt_failed(JobStatus& j, const std::string& reason, double now);
  void requeue_front(JobStatus& j);
  void storage_failed(JobStatus& j, int attempt, int rank, const std::string& reason);
  void worker_lost(int rank, WorkerState state, const std::string& reason, double now, bool readmittable = false);
  void exclude(const std::vector<RankHealth::Exclusion>& exclusions);
  // Whether `rank` should leave `job` to another rank: it failed the job here, and some other
  // usable rank has not.
  bool better_left_to_another(const JobStatus& job, int rank) const;
  void emit(nlohmann::json record);

  SchedulerConfig config_;
  LedgerSink sink_;
  std::map<std::string, JobStatus> jobs_;
  std::deque<std::string> queue_;
  std::map<int, WorkerStatus> workers_;
  RankHealth health_;
  bool draining_ = false;
  std::string storage_failure_;
  double done_seconds_ = 0;
  int done_timed_ = 0;
};

}  // namespace amnl::orch
