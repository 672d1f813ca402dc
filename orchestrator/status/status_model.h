#pragma once
// What a run is doing, as a status document: the ledger's records folded by LedgerFold (per-job
// state: attempt, rank, epoch, best validation RMSE, timings; per-rank state: busy, idle, dead,
// left), with rank infos and heartbeats. The same class serves `amnl status` (which replays ledger.jsonl read as bytes) and the
// coordinator's live status server (fed each record as it is appended), so both show the same
// thing. It never reads files or clocks: the caller passes rank infos, heartbeats and "now",
// which keeps it testable with hand-made records.
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orchestrator/rundir/ledger_fold.h"
#include "orchestrator/rundir/utc_time.h"

namespace amnl::orch {

// ranks/rank<N>.json: where a rank of the latest session runs.
struct RankInfo {
  long pid = 0;
  std::string host;
};

class StatusModel {
 public:
  // Jobs the run is made of (from experiment.json), so that a job shows before its first record.
  void add_job(const std::string& job) { fold_.add_job(job); }
  // Folds one ledger record in (LedgerFold). Records must come in ledger order.
  void apply(const nlohmann::json& record) { fold_.apply(record); }
  void set_rank_info(int rank, RankInfo info);
  // Live only: the wall-clock time (Unix seconds) a rank was last heard from.
  void set_last_heard(int rank, double unix_seconds);
  // Ledger damage found while reading (shown so that a user knows the view may miss records).
  void set_ledger_damage(int damaged_lines, const std::string& problem);

  // The status document (see status_format.h for its fields) at wall-clock time `now`
  // (Unix seconds). `outcome` is outcome.json's content, or null.
  nlohmann::json snapshot(double now, const nlohmann::json& outcome = nullptr) const;

  int records() const { return fold_.totals().records; }
  const LedgerFold& fold() const { return fold_; }

 private:
  struct JobTally;     // per-state job counts, for the totals
  struct WorkerTally;  // alive (of which excluded) / dead / left worker ranks

  WorkerTally tally_workers() const;
  nlohmann::json job_documents(double end, JobTally& tally) const;
  nlohmann::json job_document(const std::string& id, const FoldedJob& j, double elapsed, double eta) const;
  nlohmann::json rank_documents(double now, bool ended) const;
  nlohmann::json host_of(int rank) const;
  nlohmann::json session_document(bool ended) const;
  nlohmann::json coordinator_document() const;
  nlohmann::json totals_document(const JobTally& jobs, const WorkerTally& workers) const;

  LedgerFold fold_;
  std::map<int, RankInfo> rank_info_;
  std::map<int, double> last_heard_;
  int damaged_lines_ = 0;
  std::string ledger_problem_;
};

}  // namespace amnl::orch
