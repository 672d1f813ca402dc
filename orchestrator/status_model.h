#pragma once
// What a run is doing, folded from its ledger records one at a time: per-job state (attempt,
// rank, epoch, best validation RMSE, timings) and per-rank state (busy, idle, dead, left).
// The same class serves `amnl status` (which replays ledger.jsonl read as bytes) and the
// coordinator's live status server (fed each record as it is appended), so both show the same
// thing. It never reads files or clocks: the caller passes rank infos, heartbeats and "now",
// which keeps it testable with hand-made records.
//
// Unknown events and records without the fields an event needs are ignored, never fatal: the
// ledger gains events over time and a status view must keep working on old and new run dirs.
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace amnl::orch {

// Seconds since the Unix epoch of a ledger "time" ("2024-05-01T12:00:00.123Z"); NaN when the
// string is not in that form.
double parse_utc_iso(const std::string& s);
// The inverse (milliseconds kept), for "now" and timestamps in status documents.
std::string format_utc_iso(double unix_seconds);

// ranks/rank<N>.json: where a rank of the latest session runs.
struct RankInfo {
  long pid = 0;
  std::string host;
};

class StatusModel {
 public:
  // Jobs the run is made of (from experiment.json), so that a job shows before its first record.
  void add_job(const std::string& job);
  // Folds one ledger record in. Records must come in ledger order.
  void apply(const nlohmann::json& record);
  void set_rank_info(int rank, RankInfo info);
  // Live only: the wall-clock time (Unix seconds) a rank was last heard from.
  void set_last_heard(int rank, double unix_seconds);
  // Ledger damage found while reading (shown so that a user knows the view may miss records).
  void set_ledger_damage(int damaged_lines, const std::string& problem);

  // The status document (see status_format.h for its fields) at wall-clock time `now`
  // (Unix seconds). `outcome` is outcome.json's content, or null.
  nlohmann::json snapshot(double now, const nlohmann::json& outcome = nullptr) const;

  int records() const { return records_; }

 private:
  struct Job {
    std::string state = "queued";  // queued|running|done|failed|preempted
    int attempt = 0, rank = -1, failures = 0;
    int epoch = 0, max_epochs = 0;
    int early_stop_epoch = 0;  // the attempt's latest report of it (0: not known)
    double val_rmse = NAN, best_val_rmse = NAN, epoch_seconds = NAN;
    double val_all_windows_rmse = NAN;  // the latest epoch's second validation curve
    double attempt_epoch_seconds = 0;  // sum over this attempt's epochs, for the ETA
    int attempt_epochs = 0;
    int attempt_last_epoch = -1;  // epoch of the attempt's latest progress record (-1: none yet)
    double started = NAN, ended = NAN, seconds = NAN;  // unix seconds of the current attempt
    double last_progress = NAN;                          // time of the attempt's latest epoch
    int checkpoint_epoch = -1;
    std::string reason;
    nlohmann::json test_rmse;  // from the done record's metrics, when the trainer reports one
  };
  struct Rank {
    std::string state = "idle";  // idle|busy|dead|left
    std::string job, reason;
    int attempt = 0;
    bool excluded = false;  // alive, but given no new job (a worker_excluded record; reason says why)
  };
  struct JobEvent;     // a ledger record about one job, with the fields most handlers read
  struct JobTally;     // per-state job counts and the work left, summed for totals and the ETA
  struct WorkerTally;  // alive (of which excluded) / dead / left worker ranks
  using JobHandler = void (StatusModel::*)(Job&, const JobEvent&);

  Job& job(const std::string& id) { return jobs_[id]; }
  void rank_idle_if_running(int rank, const std::string& job);

  // apply(): one handler per event (or group of events).
  double note_time(const nlohmann::json& record);
  void on_session_started(const nlohmann::json& record, double at);
  void on_session_ended(const nlohmann::json& record, double at);
  void on_draining(const nlohmann::json& record);
  void on_worker_gone(const nlohmann::json& record, bool died);
  void on_worker_excluded(const nlohmann::json& record);
  void on_worker_readmitted(const nlohmann::json& record);
  static JobHandler job_handler(const std::string& event);
  void on_queued(Job& j, const JobEvent& e);
  void on_assigned(Job& j, const JobEvent& e);
  void on_progress(Job& j, const JobEvent& e);
  void on_checkpoint(Job& j, const JobEvent& e);
  void on_done(Job& j, const JobEvent& e);
  void on_attempt_failed(Job& j, const JobEvent& e);
  void on_failed(Job& j, const JobEvent& e);
  void count_failure(Job& j, const JobEvent& e);
  void on_preempted(Job& j, const JobEvent& e);
  void on_storage_failed(Job& j, const JobEvent& e);
  void requeue_without_fault(Job& j, const JobEvent& e, const char* state);
  void on_failures_reset(Job& j, const JobEvent& e);

  // snapshot(): the document's parts.
  WorkerTally tally_workers() const;
  nlohmann::json job_documents(double end, bool ended, JobTally& tally) const;
  nlohmann::json job_document(const std::string& id, const Job& j, double elapsed, double eta) const;
  nlohmann::json run_eta(const JobTally& tally, int alive, bool ended) const;
  nlohmann::json rank_documents(double now, bool ended) const;
  nlohmann::json host_of(int rank) const;
  nlohmann::json session_document(bool ended) const;
  nlohmann::json coordinator_document() const;
  nlohmann::json totals_document(const JobTally& jobs, const WorkerTally& workers) const;

  std::map<std::string, Job> jobs_;
  std::map<int, Rank> ranks_;  // worker ranks of the latest session
  std::map<int, RankInfo> rank_info_;
  std::map<int, double> last_heard_;
  int records_ = 0;
  std::string session_, session_outcome_, session_reason_, draining_reason_;
  double session_started_ = NAN, session_ended_ = NAN, last_time_ = NAN;
  int sessions_ = 0, assignments_ = 0, attempt_failures_ = 0;
  int64_t epochs_completed_ = 0, checkpoints_ = 0, preemptions_ = 0, worker_deaths_ = 0;
  double done_seconds_ = 0;
  int done_count_timed_ = 0;
  int damaged_lines_ = 0;
  std::string ledger_problem_;
};

}  // namespace amnl::orch
