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
#include "orchestrator/protocol/transport.h"
#include "orchestrator/policy/worker_agent.h"

namespace amnl::orch {

// Set from signal handlers (async-signal-safe atomics).
struct WorkerSignals {
  std::atomic<int> preempt_signal{0};  // SIGUSR1/SIGUSR2: checkpoint, report, stay
  std::atomic<int> term_signal{0};     // SIGTERM/SIGINT: checkpoint, report, leave
};

WorkerExit run_worker(Transport& transport, const JobRunnerFn& runner, WorkerSignals& signals,
                      WorkerOptions options = {});

}  // namespace amnl::orch
