#pragma once
// Rank 0: runs the Scheduler over a Transport inside a Boost.Asio event loop. A short timer polls
// the transport (MPI has no completion handlers for Asio), applies deadlines and dispatches work;
// a ping timer tells live workers the coordinator is alive; a summary timer prints progress
// when it changes (and now and then when it does not);
// a signal_set turns SIGUSR1/SIGUSR2/SIGTERM/SIGINT into a drain (preemption).
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/storage.h"
#include "orchestrator/policy/clock.h"
#include "orchestrator/rundir/experiment.h"
#include "orchestrator/policy/run_observer.h"
#include "orchestrator/protocol/transport.h"

namespace amnl::orch {

struct CoordinatorOptions {
  double poll_interval_s = 0.005;
  double summary_interval_s = 10.0;         // how often the summary is considered...
  double summary_quiet_interval_s = 300.0;  // ...and written when nothing changed (SummaryThrottle)
  double pid_check_interval_s = 0.2;
  double shutdown_grace_s = 3.0;  // to flush the last messages before returning
  // A preemption signal that arrived before the event loop could catch it (while the experiment
  // was being validated): 0 for none. The run then drains at once.
  const std::atomic<int>* early_signal = nullptr;
  // This session's id (the run-dir lock's); written into leases so that fencing tells sessions
  // apart. Empty: a new random one.
  std::string session_id;
  // `amnl run --retry-failed`: give jobs that failed for good a fresh retry budget.
  bool retry_failed = false;
  // Ledger appends that keep failing (disk full, EIO) for this long stop the run cleanly:
  // workers checkpoint and stop, the outcome says why, and a rerun resumes. Records that could
  // not be written meanwhile are kept in memory and retried in order.
  double ledger_failure_grace_s = 10.0;
  // `amnl run --treat-ranks-remote` (testing): handle every worker as if it ran on another host,
  // where its PID cannot be checked and only missed heartbeats (worker_timeout_s) reveal a death.
  bool treat_ranks_remote = false;
  // Time for every deadline the scheduler applies (worker and progress timeouts, ledger grace).
  // Null: a SteadyClock of its own. Tests pass a FakeClock to reach deadlines without waiting.
  std::shared_ptr<const Clock> clock;
  // The coordinator's own loop is timed on this monotonic clock (null: steady): a gap of more
  // than stall_threshold_s between two ticks means rank 0 itself did not run, and every worker
  // gets a fresh deadline instead of being blamed for the silence.
  std::shared_ptr<const Clock> loop_clock;
  double stall_threshold_s = 1.0;
  // The run's live views (the status server), started once the ledger is replayed; null, or
  // returning null: none. They are dropped after at_end.
  std::function<std::unique_ptr<RunObserver>(const Experiment&, const std::vector<nlohmann::json>& replayed)>
      start_observer;
  // Called at every ending once outcome.json is final (the results report); what it does never
  // changes the run's exit status. Null: nothing.
  std::function<void(const Experiment&)> at_end;
};

class Coordinator {
 public:
  Coordinator(Transport& transport, Experiment experiment, std::shared_ptr<Storage> storage,
              CoordinatorOptions options = {});
  ~Coordinator();
  // Prepares the run dir, starts the workers, runs every job; returns the exit code. On a refused
  // run dir, tells the workers to exit and returns kExitUsage.
  int run();
  // Worker ranks dead or gone when the session ended (0 before run() returns).
  int lost_ranks() const;
  // A rank was lost and the job spans several hosts: no MPI call can end it (mpirun would never
  // exit), so rank 0 ends mpirun itself once run() has returned (run_command.cc).
  bool must_end_mpirun() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Tells every worker rank to exit (experiment refused before the run started).
void abort_workers(Transport& transport, const std::string& reason);

}  // namespace amnl::orch
