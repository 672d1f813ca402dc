#include "orchestrator/status/status_model.h"

#include <algorithm>

#include "common/job_dir_files.h"
#include "orchestrator/policy/run_eta.h"

namespace amnl::orch {

using nlohmann::json;

namespace {

// JSON has no NaN: unknown numbers are null.
json number_or_null(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

}  // namespace

void StatusModel::set_rank_info(int rank, RankInfo info) { rank_info_[rank] = std::move(info); }

void StatusModel::set_last_heard(int rank, double unix_seconds) { last_heard_[rank] = unix_seconds; }

void StatusModel::set_ledger_damage(int damaged_lines, const std::string& problem) {
  damaged_lines_ = damaged_lines;
  ledger_problem_ = problem;
}

// ---- snapshot(): the status document, part by part ----

struct StatusModel::WorkerTally {
  int alive = 0, dead = 0, left = 0;
  int excluded = 0;  // of the alive ones
  json dead_ranks = json::array();
};

struct StatusModel::JobTally {
  int queued = 0, running = 0, done = 0, failed = 0, preempted = 0;

  void count(const FoldedJob& j) {
    switch (j.phase) {
      case JobPhase::kQueued: ++queued; break;
      case JobPhase::kRunning: ++running; break;
      case JobPhase::kDone: ++done; break;
      case JobPhase::kFailed: ++failed; break;
      case JobPhase::kPreempted: ++preempted; break;
    }
  }
};

json StatusModel::snapshot(double now, const json& outcome) const {
  const FoldedSession& session = fold_.session();
  const bool ended = session.closed;
  const double end = ended ? session.ended : now;  // clocks stop when the session ended
  const WorkerTally workers = tally_workers();
  JobTally tally;
  const json jobs = job_documents(end, tally);
  const std::string state = session.number == 0 ? "not started" : ended ? "ended" : "running";
  return json{{"now", format_utc_iso(now)},
              {"state", state},
              {"session", session_document(ended)},
              {"coordinator", coordinator_document()},
              {"elapsed_s", number_or_null(end - session.started)},
              {"eta_s", number_or_null(run_eta_seconds(eta_facts(fold_, workers.alive - workers.excluded)))},
              {"totals", totals_document(tally, workers)},
              {"dead_ranks", workers.dead_ranks},
              {"jobs", jobs},
              {"ranks", rank_documents(now, ended)},
              {"ledger", {{"records", fold_.totals().records}, {"damaged_lines", damaged_lines_}, {"problem", ledger_problem_}}},
              {"outcome", outcome}};
}

StatusModel::WorkerTally StatusModel::tally_workers() const {
  WorkerTally t;
  for (const auto& [r, w] : fold_.ranks()) {
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
// current attempt's for a running job and the job's run time for a done one; the ETA is a
// running job's (run_eta.h).
json StatusModel::job_documents(double end, JobTally& tally) const {
  json docs = json::array();
  for (const auto& [id, j] : fold_.jobs()) {
    tally.count(j);
    double elapsed = NAN, eta = NAN;
    if (j.phase == JobPhase::kRunning) {
      elapsed = end - j.started;
      eta = job_eta_seconds(job_pace(j));
    } else if (j.phase == JobPhase::kDone) {
      elapsed = std::isfinite(j.seconds) ? j.seconds : j.ended - j.started;
    }
    docs.push_back(job_document(id, j, elapsed, eta));
  }
  return docs;
}

json StatusModel::job_document(const std::string& id, const FoldedJob& j, double elapsed, double eta) const {
  const auto test_rmse = j.metrics.find(job_files::metrics_key::kTestRmse);
  return {{"job", id},
          {"state", to_string(j.phase)},
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
          {"test_rmse", test_rmse != j.metrics.end() && test_rmse->is_number() ? *test_rmse : json(nullptr)},
          {"reason", j.reason}};
}

// One document per worker rank of the latest session. A heartbeat age only for a live rank
// of a live session (others are not expected to be heard from).
json StatusModel::rank_documents(double now, bool ended) const {
  json ranks = json::array();
  for (const auto& [r, w] : fold_.ranks()) {
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
  const FoldedSession& s = fold_.session();
  return {{"id", s.id},
          {"number", s.number},
          {"started", format_utc_iso(s.started)},
          {"ended", ended ? json(format_utc_iso(s.ended)) : json(nullptr)},
          {"outcome", s.outcome},
          {"reason", s.reason},
          {"draining", s.draining_reason.empty() ? json(nullptr) : json(s.draining_reason)}};
}

json StatusModel::coordinator_document() const {
  auto coordinator = rank_info_.find(0);
  if (coordinator == rank_info_.end()) return nullptr;
  return {{"pid", coordinator->second.pid}, {"host", coordinator->second.host}};
}

json StatusModel::totals_document(const JobTally& jobs, const WorkerTally& workers) const {
  const LedgerTotals& t = fold_.totals();
  return {{"jobs", static_cast<int>(fold_.jobs().size())},
          {"queued", jobs.queued},
          {"running", jobs.running},
          {"done", jobs.done},
          {"failed", jobs.failed},
          {"preempted", jobs.preempted},
          {"workers_alive", workers.alive},
          {"workers_dead", workers.dead},
          {"workers_left", workers.left},
          {"workers_excluded", workers.excluded},
          {"epochs_completed", t.epochs_completed},
          {"checkpoints", t.checkpoints},
          {"assignments", t.assignments},
          {"attempt_failures", t.attempt_failures},
          {"worker_deaths", t.worker_deaths},
          {"preemptions", t.preemptions},
          {"sessions", fold_.session().number}};
}

}  // namespace amnl::orch
