#pragma once
// A worker rank: waits for START, asks for work, runs each assigned job through the JobRunnerFn
// on a training thread, and keeps talking to the coordinator from its own (MPI) thread:
// heartbeats with the job's batch counter every heartbeat interval (so a long epoch is not a
// death), epoch progress, the result. It watches the coordinator: with no message from rank 0
// for coordinator_timeout_s it stops its job (emergency checkpoint) and exits by itself.
// Fencing: the job's still_owner callback reads <job_dir>/lease.json.
#include <atomic>
#include <functional>

#include "common/job.h"
#include "orchestrator/transport.h"

namespace amnl::orch {

struct WorkerOptions {
  double poll_interval_s = 0.01;
  double startup_timeout_s = 300;  // waiting for START (rank 0 validates the experiment first)
  double job_stop_grace_s = 60;    // after a stop request, how long to wait for the checkpoint
};

// Set from signal handlers (async-signal-safe atomics).
struct WorkerSignals {
  std::atomic<int> preempt_signal{0};  // SIGUSR1/SIGUSR2: checkpoint, report, stay
  std::atomic<int> term_signal{0};     // SIGTERM/SIGINT: checkpoint, report, leave
};

enum class WorkerExit {
  kShutdown,      // told to exit: MPI_Finalize is safe
  kAborted,       // experiment refused: MPI_Finalize is safe
  kLeft,          // left on its own (SIGTERM): do not wait in MPI_Finalize
  kCoordinatorLost,  // watchdog fired: do not wait in MPI_Finalize
  kEnded,         // told to exit after the session lost a rank: MPI_Finalize would hang
};

WorkerExit run_worker(Transport& transport, const JobRunnerFn& runner, WorkerSignals& signals,
                      WorkerOptions options = {});

}  // namespace amnl::orch
