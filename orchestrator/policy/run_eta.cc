#include "orchestrator/policy/run_eta.h"

#include <algorithm>

namespace amnl::orch {

double seconds_per_epoch(const JobPace& j) {
  if (j.attempt_epochs <= 0) return NAN;
  if (j.attempt_seconds > 0) return j.attempt_seconds / j.attempt_epochs;
  return j.trainer_epoch_seconds / j.attempt_epochs;
}

double job_eta_seconds(const JobPace& j) {
  const double per_epoch = seconds_per_epoch(j);
  if (!std::isfinite(per_epoch) || j.max_epochs <= 0) return NAN;
  const int last_epoch = j.early_stop_epoch > 0 ? std::min(j.early_stop_epoch, j.max_epochs) : j.max_epochs;
  return std::max(0, last_epoch - j.epoch) * per_epoch;
}

double run_eta_seconds(const RunEtaFacts& f) {
  if (f.pending + static_cast<int>(f.running.size()) == 0) return 0;
  if (f.ended || f.usable_workers <= 0) return NAN;
  double running_work = 0, paced_seconds = 0;
  int unknown = 0, paced_epochs = 0;
  for (const JobPace& j : f.running) {
    const double eta = job_eta_seconds(j);
    if (!std::isfinite(eta)) {
      ++unknown;
      continue;
    }
    running_work += eta;
    paced_seconds += seconds_per_epoch(j) * j.attempt_epochs;
    paced_epochs += j.attempt_epochs;
  }
  double job_seconds = f.finished_job_seconds;
  if (!std::isfinite(job_seconds) && paced_epochs > 0 && f.max_epochs > 0)
    job_seconds = f.max_epochs * paced_seconds / paced_epochs;
  if (!std::isfinite(job_seconds)) return NAN;
  return (running_work + unknown * job_seconds + f.pending * job_seconds) / f.usable_workers;
}

JobPace job_pace(const FoldedJob& j) {
  return JobPace{j.epoch, j.max_epochs, j.early_stop_epoch, j.attempt_epochs, j.last_progress - j.started,
                 j.attempt_epoch_seconds};
}

RunEtaFacts eta_facts(const LedgerFold& fold, int usable_workers) {
  RunEtaFacts f;
  for (const auto& [id, j] : fold.jobs()) {
    if (j.phase == JobPhase::kRunning) f.running.push_back(job_pace(j));
    if (j.phase == JobPhase::kQueued || j.phase == JobPhase::kPreempted) ++f.pending;
    f.max_epochs = std::max(f.max_epochs, j.max_epochs);
  }
  const LedgerTotals& t = fold.totals();
  if (t.done_timed > 0) f.finished_job_seconds = t.done_seconds / t.done_timed;
  f.usable_workers = usable_workers;
  f.ended = fold.session().closed;
  return f;
}

JobPace job_pace(const JobStatus& j) {
  return JobPace{j.epoch, j.max_epochs, j.early_stop_epoch, j.attempt_epochs, j.last_epoch_at - j.started_at,
                 j.attempt_epoch_seconds};
}

RunEtaFacts eta_facts(const Scheduler& scheduler) {
  RunEtaFacts f;
  for (const auto& [id, j] : scheduler.jobs()) {
    if (j.state == JobState::kRunning) f.running.push_back(job_pace(j));
    if (j.state == JobState::kQueued) ++f.pending;
    f.max_epochs = std::max(f.max_epochs, j.max_epochs);
  }
  f.finished_job_seconds = scheduler.mean_job_seconds();
  f.usable_workers = scheduler.counts().usable_workers();
  return f;
}

}  // namespace amnl::orch
