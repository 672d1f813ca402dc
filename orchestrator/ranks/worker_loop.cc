#include "orchestrator/ranks/worker_loop.h"

#include "common/hostname.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "common/logging.h"
#include "orchestrator/policy/clock.h"
#include "orchestrator/rundir/departure.h"
#include "orchestrator/rundir/lease.h"
#include "orchestrator/rundir/run_dir.h"
#include "orchestrator/policy/worker_agent.h"

namespace amnl::orch {

using nlohmann::json;

namespace {

// One job on its training thread; the MPI thread reads what it publishes. Everything the thread
// touches lives in a State it shares: a trainer that ignores a stop request is abandoned
// (detached) when the worker must exit, and must never be left holding a destroyed object.
class RunningJob {
 public:
  RunningJob(JobRunnerFn runner, JobRequest req, std::string job, std::string session,
             std::shared_ptr<const std::atomic<bool>> sticky_stop)
      : st_(std::make_shared<State>()) {
    st_->req = std::move(req);
    st_->job = std::move(job);
    st_->session = std::move(session);
    st_->sticky_stop = std::move(sticky_stop);
    st_->stop = st_->sticky_stop->load();
    // The lease's fencing token names this attempt's files (common/fence.h); no token (the lease
    // already names another attempt): unfenced, and the first ownership question ends the job.
    if (auto token = owned_lease_token(*st_->storage, st_->req.job_dir, st_->req.attempt, st_->session))
      st_->req.fence = make_fence_id(*token, st_->session, st_->req.attempt);
    thread_ = std::thread([st = st_, runner = std::move(runner)] { body(*st, runner); });
  }
  ~RunningJob() {
    if (thread_.joinable()) thread_.join();
  }
  const std::string& job() const { return st_->job; }
  int attempt() const { return st_->req.attempt; }
  int64_t counter() const { return st_->counter.load(); }
  void request_stop() { st_->stop = true; }
  bool finished() const { return st_->finished.load(); }
  JobResult take_result() {
    thread_.join();
    return st_->result;
  }
  std::deque<JobProgress> take_progress() {
    std::lock_guard<std::mutex> lock(st_->mu);
    std::deque<JobProgress> out;
    out.swap(st_->progress);
    return out;
  }
  // The thread is stuck (hung trainer): abandon it rather than block the exit. It keeps its
  // State (and the runner) alive by itself.
  void detach() {
    if (thread_.joinable()) thread_.detach();
  }

 private:
  struct State {
    JobRequest req;
    std::string job, session;
    std::shared_ptr<const std::atomic<bool>> sticky_stop;
    std::shared_ptr<Storage> storage = make_posix_storage();
    std::atomic<bool> stop{false};
    std::atomic<int64_t> counter{0};
    std::atomic<bool> finished{false};
    int last_epoch = -1;
    std::mutex mu;
    std::deque<JobProgress> progress;
    JobResult result;
  };

  static void body(State& st, const JobRunnerFn& runner) {
    JobCallbacks cb;
    cb.stop_requested = &st.stop;
    cb.on_progress = [&st](const JobProgress& p) {
      st.counter.store(p.batches_done + 1);  // +1: "started" differs from "no heartbeat yet"
      if (st.sticky_stop->load()) st.stop = true;
      if (p.epoch != st.last_epoch || !p.checkpoint.empty()) {
        st.last_epoch = p.epoch;
        std::lock_guard<std::mutex> lock(st.mu);
        st.progress.push_back(p);
      }
    };
    cb.still_owner = [&st] {
      const bool owner = lease_owned_by(*st.storage, st.req.job_dir, st.req.attempt, st.session);
      if (!owner)
        spdlog::warn("{} attempt {}: lease lost (a newer attempt or session owns the job): writing nothing", st.job,
                     st.req.attempt);
      return owner;
    };
    JobResult result;
    try {
      result = runner(st.req, cb);
    } catch (const std::exception& e) {
      result = JobResult{};
      result.end = JobEnd::kFailed;
      result.reason = std::string("trainer threw: ") + e.what();
    } catch (...) {
      result = JobResult{};
      result.end = JobEnd::kFailed;
      result.reason = "trainer threw an unknown exception";
    }
    st.result = std::move(result);
    st.finished = true;
  }

  std::shared_ptr<State> st_;
  std::thread thread_;
};

// Everything the training thread published since the last look; joins it once it has finished.
JobSnapshot snapshot(std::unique_ptr<RunningJob>& job) {
  JobSnapshot snap;
  if (!job) return snap;
  const bool finished = job->finished();  // read first: all its progress is published by then
  snap.counter = job->counter();
  snap.progress = job->take_progress();
  if (finished) {
    snap.result = job->take_result();
    job.reset();
  }
  return snap;
}

// A leaving rank does not wait in MPI_Finalize: give its BYE a second to go out.
void flush_sends(Transport& transport) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (transport.pending_sends() && std::chrono::steady_clock::now() < until) {
    transport.progress();
    ::usleep(2000);
  }
}

// Carries out the agent's actions on the MPI side and the training thread; an exit ends the loop.
class ActionRunner {
 public:
  ActionRunner(Transport& t, const JobRunnerFn& runner) : transport_(t), runner_(runner) {}
  std::optional<WorkerExit> run(std::vector<WorkerAction> actions) {
    for (WorkerAction& a : actions) {
      if (auto e = run_one(a)) return e;
    }
    return std::nullopt;
  }
  std::unique_ptr<RunningJob>& job() { return job_; }

 private:
  std::optional<WorkerExit> run_one(WorkerAction& a) {
    switch (a.type) {
      case WorkerAction::Type::kSend: transport_.send(0, a.kind, a.body); break;
      case WorkerAction::Type::kOpenLog: {
        const int me = transport_.rank();
        init_logging("rank" + std::to_string(me), rank_log_path(a.run_dir, me), /*console=*/false);
        break;
      }
      case WorkerAction::Type::kStartJob:
        job_ = std::make_unique<RunningJob>(runner_, std::move(a.request), a.job, a.session, sticky_);
        break;
      case WorkerAction::Type::kStopJob:
        if (job_) job_->request_stop();
        break;
      case WorkerAction::Type::kStopAll:
        *sticky_ = true;
        if (job_) job_->request_stop();
        break;
      case WorkerAction::Type::kAbandonJob:
        if (job_) job_->detach();
        job_.reset();
        break;
      case WorkerAction::Type::kNoteDeparture: note_departure(a); break;
      case WorkerAction::Type::kExit:
        if (a.exit != WorkerExit::kShutdown && a.exit != WorkerExit::kAborted) flush_sends(transport_);
        return a.exit;
    }
    return std::nullopt;
  }

  // Best effort: a worker that cannot write the note still leaves (rank 0 then sees a death).
  static void note_departure(const WorkerAction& a) {
    DepartureNote n;
    n.rank = a.body.value("rank", 0);
    n.pid = a.body.value("pid", 0L);
    n.host = a.body.value("host", "");
    n.session = a.body.value("session", "");
    n.reason = a.body.value("reason", "");
    n.job = a.body.value("job", "");
    n.attempt = a.body.value("attempt", 0);
    Status st = write_departure_note(*make_posix_storage(), a.run_dir, n);
    if (!st.ok()) spdlog::warn("{}", st.message());
  }

  Transport& transport_;
  const JobRunnerFn& runner_;
  // SIGTERM: stop every job and leave. Shared with the training thread, which may outlive us.
  std::shared_ptr<std::atomic<bool>> sticky_ = std::make_shared<std::atomic<bool>>(false);
  std::unique_ptr<RunningJob> job_;
};

}  // namespace

WorkerExit run_worker(Transport& transport, const JobRunnerFn& runner, WorkerSignals& signals,
                      WorkerOptions opt) {
  SteadyClock clock;
  WorkerAgent agent(WorkerIdentity{transport.rank(), static_cast<long>(::getpid()), hostname()}, opt, clock.now());
  ActionRunner act(transport, runner);
  act.run(agent.hello());
  while (true) {
    while (auto m = transport.poll())
      if (auto e = act.run(agent.on_message(*m, clock.now()))) return *e;
    if (int s = signals.preempt_signal.exchange(0))
      if (auto e = act.run(agent.on_preempt_signal(s))) return *e;
    if (int s = signals.term_signal.exchange(0))
      if (auto e = act.run(agent.on_term_signal(s))) return *e;
    if (auto e = act.run(agent.tick(clock.now(), snapshot(act.job())))) return *e;
    transport.progress();
    ::usleep(static_cast<useconds_t>(opt.poll_interval_s * 1e6));
  }
}

}  // namespace amnl::orch
