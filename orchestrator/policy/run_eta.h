#pragma once
// How long a run has left: one rule for `amnl status` and the live status page (which know the
// run from the ledger fold) and the coordinator's summary line (which knows it from the
// scheduler). Each side only gathers the same facts (eta_facts), so the two never print
// different ETAs for one state.
//
// A running job has the epochs it has left at its current attempt's own pace: the wall time from
// the attempt's assignment to its latest completed epoch over the epochs completed (data
// loading, validation and checkpoints included, which is what an ETA is about), or the trainer's
// epoch_seconds where those times are unknown. It counts to the epoch early stopping ends the job
// at if the selection metric does not improve again (each improvement moves it later), or to
// max_epochs when the trainer did not say. Unknown before the attempt completed an epoch.
// The run has what its running jobs have left, plus each pending job (and each running one whose
// pace is unknown) at the mean job length, shared among the usable workers. The mean job length
// is the finished jobs' mean wall time, or, before any job finished, max_epochs at the running
// attempts' mean pace. 0 when nothing is left; unknown when the session ended, no worker is
// usable, or no job length is known yet.
#include <cmath>
#include <vector>

#include "orchestrator/policy/scheduler.h"
#include "orchestrator/rundir/ledger_fold.h"

namespace amnl::orch {

// What the rule needs of one running job.
struct JobPace {
  int epoch = 0;             // the latest epoch reported
  int max_epochs = 0;        // 0: not known
  int early_stop_epoch = 0;  // 0: not known
  int attempt_epochs = 0;    // epochs the current attempt completed
  double attempt_seconds = NAN;       // from its assignment to its latest completed epoch (NaN: untimed)
  double trainer_epoch_seconds = 0;   // the trainer's epoch_seconds, summed over those epochs
};

// Seconds per epoch of the current attempt; NaN before it completed an epoch.
double seconds_per_epoch(const JobPace& job);
// Seconds a running job has left; NaN while its pace or its length is unknown.
double job_eta_seconds(const JobPace& job);

// What the rule needs of the whole run.
struct RunEtaFacts {
  std::vector<JobPace> running;
  int pending = 0;                     // queued (and preempted) jobs
  double finished_job_seconds = NAN;   // mean wall time of the finished jobs; NaN: none timed
  int max_epochs = 0;                  // the largest max_epochs any job reported
  int usable_workers = 0;              // alive and not excluded
  bool ended = false;                  // the session ended: nothing runs any more
};

// Seconds the run has left: 0 when no job is left, NaN when that cannot be told.
double run_eta_seconds(const RunEtaFacts& facts);

// The facts as the ledger fold has them (`amnl status`, the live status); `usable_workers`: the
// fold's alive ranks that are not excluded.
JobPace job_pace(const FoldedJob& job);
RunEtaFacts eta_facts(const LedgerFold& fold, int usable_workers);
// The facts as the scheduler has them (the coordinator's summary line).
JobPace job_pace(const JobStatus& job);
RunEtaFacts eta_facts(const Scheduler& scheduler);

}  // namespace amnl::orch
