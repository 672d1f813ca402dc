#include "orchestrator/policy/worker_agent.h"

#include <spdlog/spdlog.h>


namespace amnl::orch {

using Type = WorkerAction::Type;

namespace {

WorkerAction action(Type t) {
  WorkerAction a;
  a.type = t;
  return a;
}

}  // namespace

// Before START the watchdog is the startup timeout: rank 0 validates the experiment first.
WorkerAgent::WorkerAgent(WorkerIdentity me, WorkerOptions options, double now)
    : me_(std::move(me)), opt_(options), watchdog_s_(options.startup_timeout_s), last_heard_(now) {}

std::vector<WorkerAction> WorkerAgent::hello() const {
  std::vector<WorkerAction> out;
  send(HelloMsg{me_.pid, me_.host}, out);
  return out;
}

template <typename M>
void WorkerAgent::send(const M& msg, std::vector<WorkerAction>& out) const {
  WorkerAction a = action(Type::kSend);
  a.kind = M::kKind;
  a.body = msg.encode();
  out.push_back(std::move(a));
}

void WorkerAgent::exit(WorkerExit e, std::vector<WorkerAction>& out) {
  WorkerAction a = action(Type::kExit);
  a.exit = e;
  out.push_back(std::move(a));
  exited_ = true;
}

std::vector<WorkerAction> WorkerAgent::on_message(const Message& m, double now) {
  std::vector<WorkerAction> out;
  // Only rank 0 speaks to workers. While waiting for a stopped job before exiting, the old
  // blocking loop read nothing; neither does this. Any message from rank 0, even one that does
  // not decode (and is then ignored by decode_msg), shows that the coordinator is alive.
  if (m.peer != 0 || exited_ || exit_wait_) return out;
  last_heard_ = now;
  switch (m.kind) {
    case MsgKind::kStart:
      if (auto start = decode_msg<StartMsg>(m)) on_start(*start, out);
      break;
    case MsgKind::kAbort:
      if (auto aborted = decode_msg<AbortMsg>(m)) {
        spdlog::info("rank {}: run aborted by the coordinator: {}", me_.rank, aborted->reason);
        exit(WorkerExit::kAborted, out);
      }
      break;
    case MsgKind::kAssign:
      if (auto assign = decode_msg<AssignMsg>(m)) on_assign(*assign, out);
      break;
    case MsgKind::kStop:
      if (auto stop = decode_msg<StopMsg>(m)) {
        spdlog::info("stop requested by the coordinator: {}", stop->reason);
        if (job_) out.push_back(action(Type::kStopJob));
      }
      break;
    case MsgKind::kShutdown:
      if (auto shutdown = decode_msg<ShutdownMsg>(m)) on_shutdown(*shutdown, now, out);
      break;
    case MsgKind::kPing: (void)decode_msg<PingMsg>(m); break;
    default: spdlog::warn("unexpected {} from the coordinator", to_string(m.kind));
  }
  return out;
}

void WorkerAgent::on_start(const StartMsg& start, std::vector<WorkerAction>& out) {
  started_ = true;
  run_dir_ = start.run_dir;
  session_ = start.session;
  heartbeat_s_ = start.heartbeat_interval_s;
  watchdog_s_ = start.coordinator_timeout_s;
  opt_.job_stop_grace_s = start.stop_grace_s.value_or(opt_.job_stop_grace_s);
  WorkerAction log = action(Type::kOpenLog);
  log.run_dir = start.run_dir;
  out.push_back(std::move(log));
  spdlog::info("rank {} (pid {}) started: heartbeat {} s, coordinator timeout {} s", me_.rank, me_.pid,
               heartbeat_s_, watchdog_s_);
  send(ReadyMsg{}, out);
}

void WorkerAgent::on_assign(const AssignMsg& assign, std::vector<WorkerAction>& out) {
  if (job_) {
    spdlog::error("assignment of {} while {} runs: refused", assign.job, job_->id);
    JobResult r;
    r.end = JobEnd::kFailed;
    r.reason = "worker busy";
    send(ResultMsg::of(assign.job, assign.attempt, r), out);
    return;
  }
  WorkerAction a = action(Type::kStartJob);
  a.request.dataset = assign.dataset;
  a.request.seed = assign.seed;
  a.request.data_dir = assign.data_dir;
  a.request.job_dir = assign.job_dir;
  a.request.attempt = assign.attempt;
  a.request.recipe = assign.recipe;
  a.request.threads = assign.threads;
  a.request.resume = true;
  a.job = assign.job;
  a.session = assign.session;
  spdlog::info("{} attempt {}: starting in {}", a.job, a.request.attempt, a.request.job_dir);
  job_ = Job{a.job, a.request.attempt, 0};
  out.push_back(std::move(a));
}

void WorkerAgent::on_shutdown(const ShutdownMsg& shutdown, double now, std::vector<WorkerAction>& out) {
  spdlog::info("rank {}: shutdown{}", me_.rank,
               shutdown.finalize ? "" : " (the session lost a rank: exiting without MPI_Finalize)");
  exit_after_stop(shutdown.finalize ? WorkerExit::kShutdown : WorkerExit::kEnded, now, out);
}

void WorkerAgent::say_goodbye(const std::string& reason, const std::string& job, int attempt,
                              std::vector<WorkerAction>& out) {
  send(ByeMsg{reason}, out);
  if (run_dir_.empty()) return;  // before START there is no run dir (and no job) to speak of
  WorkerAction note = action(Type::kNoteDeparture);
  note.run_dir = run_dir_;
  note.body = {{"rank", me_.rank}, {"pid", me_.pid},   {"host", me_.host}, {"session", session_},
               {"reason", reason}, {"job", job},       {"attempt", attempt}};
  out.push_back(std::move(note));
}

// Stops the job (if any) and exits once it has stopped or the stop grace has run out.
void WorkerAgent::exit_after_stop(WorkerExit e, double now, std::vector<WorkerAction>& out) {
  if (!job_) return exit_with_goodbye(e, out);
  out.push_back(action(Type::kStopJob));
  exit_wait_ = ExitWait{e, now + opt_.job_stop_grace_s};
}

std::vector<WorkerAction> WorkerAgent::on_preempt_signal(int signal) {
  // Not sticky: the coordinator (which gets the same signal from mpirun) drains and sends no
  // more work; a signal sent to this rank alone only preempts its current job, which is then
  // reassigned. An assignment already in flight is followed by the coordinator's STOP.
  std::vector<WorkerAction> out;
  if (exited_ || exit_wait_) return out;  // exiting already (the old loop read no signal then)
  spdlog::warn("signal {}: checkpointing and stopping the current job", signal);
  if (job_) out.push_back(action(Type::kStopJob));
  return out;
}

std::vector<WorkerAction> WorkerAgent::on_term_signal(int signal) {
  std::vector<WorkerAction> out;
  if (exited_ || exit_wait_) return out;
  spdlog::warn("signal {}: checkpointing, reporting and leaving", signal);
  sticky_stop_ = true;
  leave_reason_ = "signal " + std::to_string(signal);
  out.push_back(action(Type::kStopAll));
  return out;
}

void WorkerAgent::finish_job(const JobResult& r, std::vector<WorkerAction>& out) {
  send(ResultMsg::of(job_->id, job_->attempt, r), out);
  last_job_ = job_->id;
  last_attempt_ = job_->attempt;
  spdlog::info("{} attempt {}: {}{}", job_->id, job_->attempt, to_string(r.end),
               r.reason.empty() ? "" : " (" + r.reason + ")");
  job_.reset();
  if (!sticky_stop_ && !exit_wait_) send(ReadyMsg{}, out);
}

std::vector<WorkerAction> WorkerAgent::tick(double now, JobSnapshot snap) {
  std::vector<WorkerAction> out;
  if (exited_) return out;
  if (exit_wait_) {
    tick_exit_wait(now, snap, out);
    return out;
  }
  if (job_) {
    job_->counter = snap.counter;
    for (const JobProgress& p : snap.progress) send(ProgressMsg::of(job_->id, job_->attempt, p), out);
    if (snap.result) finish_job(*snap.result, out);
  }
  if (!job_ && !leave_reason_.empty()) {
    say_goodbye(leave_reason_, last_job_, last_attempt_, out);
    exit(WorkerExit::kLeft, out);
    return out;
  }
  if (started_ && now - last_heartbeat_ >= heartbeat_s_) {
    last_heartbeat_ = now;
    send(job_ ? HeartbeatMsg{job_->id, job_->attempt, job_->counter} : HeartbeatMsg{}, out);
    if (!job_ && !sticky_stop_) send(ReadyMsg{}, out);
  }
  if (now - last_heard_ > watchdog_s_) {
    spdlog::error("no message from the coordinator for {:.1f} s (timeout {} s): stopping by myself",
                  now - last_heard_, watchdog_s_);
    char reason[160];
    std::snprintf(reason, sizeof reason,
                  "no message from the coordinator for %.1f s (coordinator_timeout_s %g): checkpointed and left",
                  now - last_heard_, watchdog_s_);
    leave_reason_ = reason;
    exit_after_stop(WorkerExit::kCoordinatorLost, now, out);
  }
  return out;
}

// The stopped job is reported (a coordinator that went silent may only be paused: it reads the
// result and the BYE when it wakes, or the departure note), then the worker exits.
void WorkerAgent::tick_exit_wait(double now, JobSnapshot& snap, std::vector<WorkerAction>& out) {
  for (const JobProgress& p : snap.progress) send(ProgressMsg::of(job_->id, job_->attempt, p), out);
  if (snap.result) {
    finish_job(*snap.result, out);
    return exit_with_goodbye(exit_wait_->exit, out);
  }
  if (now < exit_wait_->deadline) return;
  spdlog::error("{}: the trainer did not stop within {} s", job_->id, opt_.job_stop_grace_s);
  out.push_back(action(Type::kAbandonJob));
  last_job_ = job_->id;
  last_attempt_ = job_->attempt;
  job_.reset();
  exit_with_goodbye(exit_wait_->exit, out);
}

// A worker that leaves while the coordinator may still listen says why: after a silent
// coordinator (it may only be paused), and after a SHUTDOWN that ends the job without
// MPI_Finalize (rank 0 waits for every BYE before it ends the MPI job).
void WorkerAgent::exit_with_goodbye(WorkerExit e, std::vector<WorkerAction>& out) {
  if (e == WorkerExit::kCoordinatorLost) say_goodbye(leave_reason_, last_job_, last_attempt_, out);
  if (e == WorkerExit::kEnded) send(ByeMsg{"shutdown (exiting without MPI_Finalize)"}, out);
  exit(e, out);
}

}  // namespace amnl::orch
