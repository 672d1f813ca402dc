#pragma once
// What a worker rank decides, as a plain class: events in (a message from the coordinator, a
// signal, what the training thread published, a tick), actions out (send a message, start or
// stop the job, abandon a trainer that ignores stop, exit). No MPI, no sleeping, no wall clock:
// `now` comes with every event, so every rule is testable on a fake clock. run_worker
// (worker_loop.cc) feeds it from the Transport and the training thread and carries out its actions.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/job.h"
#include "orchestrator/protocol/messages.h"

namespace amnl::orch {

struct WorkerOptions {
  double poll_interval_s = 0.01;
  double startup_timeout_s = 300;  // waiting for START (rank 0 validates the experiment first)
  double job_stop_grace_s = 60;    // after a stop request, how long to wait for the checkpoint
};

enum class WorkerExit {
  kShutdown,      // told to exit: MPI_Finalize is safe
  kAborted,       // experiment refused: MPI_Finalize is safe
  kLeft,          // left on its own (SIGTERM): do not wait in MPI_Finalize
  kCoordinatorLost,  // watchdog fired: do not wait in MPI_Finalize
  kEnded,         // told to exit after the session lost a rank: MPI_Finalize would hang
};


struct WorkerAction {
  enum class Type {
    kSend,        // kind, body
    kOpenLog,     // run_dir: this rank's log file from now on
    kStartJob,    // request, job, session
    kStopJob,     // ask the current job to checkpoint and stop
    kStopAll,     // sticky: stop the current job and any job started later (leaving)
    kAbandonJob,  // the trainer ignored stop past the grace: detach its thread
    kNoteDeparture,  // run_dir, body (a DepartureNote's fields): leaving on purpose, on storage
    kExit,        // exit (after a kLeft, flush pending sends first)
  };
  Type type = Type::kSend;
  MsgKind kind = MsgKind::kPing;
  nlohmann::json body;
  std::string run_dir, job, session;
  JobRequest request;
  WorkerExit exit = WorkerExit::kShutdown;
};

// What the training thread published since the last tick.
struct JobSnapshot {
  int64_t counter = 0;                 // batches done + 1 (0: not started yet)
  std::deque<JobProgress> progress;    // epochs and checkpoints, oldest first
  std::optional<JobResult> result;     // set once, when the job has finished
};

struct WorkerIdentity {
  int rank = 1;
  long pid = 0;
  std::string host;
};

class WorkerAgent {
 public:
  WorkerAgent(WorkerIdentity me, WorkerOptions options, double now);
  // HELLO: the first thing a worker sends.
  std::vector<WorkerAction> hello() const;
  std::vector<WorkerAction> on_message(const Message& m, double now);
  std::vector<WorkerAction> on_preempt_signal(int signal);  // SIGUSR1/2: stop the job, stay
  std::vector<WorkerAction> on_term_signal(int signal);     // SIGTERM/INT: stop the job, leave
  // Everything timed: the job's progress and end, leaving, heartbeats, the watchdog, the stop grace.
  std::vector<WorkerAction> tick(double now, JobSnapshot job);

  bool has_job() const { return job_.has_value(); }
  bool exited() const { return exited_; }

 private:
  struct Job {
    std::string id;
    int attempt = 0;
    int64_t counter = 0;
  };
  // Waiting for the stopped job before exiting (SHUTDOWN, watchdog): at most until `deadline`.
  struct ExitWait {
    WorkerExit exit;
    double deadline;
  };

  void on_start(const StartMsg& start, std::vector<WorkerAction>& out);
  void on_assign(const AssignMsg& assign, std::vector<WorkerAction>& out);
  void on_shutdown(const ShutdownMsg& shutdown, double now, std::vector<WorkerAction>& out);
  void finish_job(const JobResult& r, std::vector<WorkerAction>& out);
  void exit_after_stop(WorkerExit exit, double now, std::vector<WorkerAction>& out);
  void tick_exit_wait(double now, JobSnapshot& snap, std::vector<WorkerAction>& out);
  void exit_with_goodbye(WorkerExit e, std::vector<WorkerAction>& out);
  template <typename M>
  void send(const M& msg, std::vector<WorkerAction>& out) const;  // a typed message (messages.h)
  void exit(WorkerExit e, std::vector<WorkerAction>& out);
  // Leaving on purpose: BYE (rank 0 may not read it) and a departure note on shared storage.
  void say_goodbye(const std::string& reason, const std::string& job, int attempt, std::vector<WorkerAction>& out);

  WorkerIdentity me_;
  WorkerOptions opt_;
  double heartbeat_s_ = 1.0, watchdog_s_;
  double last_heard_, last_heartbeat_ = 0;
  bool started_ = false, sticky_stop_ = false, exited_ = false;
  std::string leave_reason_;
  std::string run_dir_, session_;  // from START
  std::string last_job_;           // the last job it ran, for the departure note
  int last_attempt_ = 0;
  std::optional<Job> job_;
  std::optional<ExitWait> exit_wait_;
};

}  // namespace amnl::orch
