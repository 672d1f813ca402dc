#include "orchestrator/worker_loop.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <thread>

#include "common/logging.h"
#include "orchestrator/clock.h"
#include "orchestrator/lease.h"
#include "orchestrator/run_dir.h"

namespace amnl::orch {

using nlohmann::json;

namespace {

std::string hostname() {
  char buf[256] = {0};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

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
  bool wait(double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!st_->finished && std::chrono::steady_clock::now() < until) ::usleep(10000);
    return st_->finished;
  }
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

}  // namespace

WorkerExit run_worker(Transport& transport, const JobRunnerFn& runner, WorkerSignals& signals,
                      WorkerOptions opt) {
  SteadyClock clock;
  const int me = transport.rank();
  transport.send(0, MsgKind::kHello, {{"pid", static_cast<long>(::getpid())}, {"host", hostname()}});

  double heartbeat_s = 1.0, watchdog_s = opt.startup_timeout_s;
  double last_heard = clock.now(), last_heartbeat = 0;
  bool started = false;
  // SIGTERM: stop every job and leave. Shared with the training thread, which may outlive us.
  auto sticky = std::make_shared<std::atomic<bool>>(false);
  std::atomic<bool>& sticky_stop = *sticky;
  std::unique_ptr<RunningJob> job;
  std::string leave_reason;

  auto send_result = [&](const RunningJob& j, const JobResult& r) {
    transport.send(0, MsgKind::kResult, result_to_json(j.job(), j.attempt(), r));
    spdlog::info("{} attempt {}: {}{}", j.job(), j.attempt(), to_string(r.end),
                 r.reason.empty() ? "" : " (" + r.reason + ")");
  };
  auto flush_progress = [&] {
    for (const JobProgress& p : job->take_progress())
      transport.send(0, MsgKind::kProgress, progress_to_json(job->job(), job->attempt(), p));
  };
  auto finish_job = [&] {
    flush_progress();
    JobResult r = job->take_result();
    send_result(*job, r);
    job.reset();
    if (!sticky_stop) transport.send(0, MsgKind::kReady, json::object());
  };

  while (true) {
    const double now = clock.now();
    // --- messages from the coordinator
    while (auto m = transport.poll()) {
      if (m->peer != 0) continue;
      last_heard = clock.now();
      switch (m->kind) {
        case MsgKind::kStart: {
          started = true;
          heartbeat_s = m->body.value("heartbeat_interval_s", 1.0);
          watchdog_s = m->body.value("coordinator_timeout_s", 60.0);
          opt.job_stop_grace_s = m->body.value("stop_grace_s", opt.job_stop_grace_s);
          const std::string run_dir = m->body.value("run_dir", "");
          init_logging("rank" + std::to_string(me), rank_log_path(run_dir, me), /*console=*/false);
          spdlog::info("rank {} (pid {}) started: heartbeat {} s, coordinator timeout {} s", me, ::getpid(),
                       heartbeat_s, watchdog_s);
          transport.send(0, MsgKind::kReady, json::object());
          break;
        }
        case MsgKind::kAbort:
          spdlog::info("rank {}: run aborted by the coordinator: {}", me, m->body.value("reason", ""));
          return WorkerExit::kAborted;
        case MsgKind::kAssign: {
          if (job) {
            spdlog::error("assignment of {} while {} runs: refused", m->body.value("job", ""), job->job());
            JobResult r;
            r.end = JobEnd::kFailed;
            r.reason = "worker busy";
            transport.send(0, MsgKind::kResult,
                           result_to_json(m->body.value("job", ""), m->body.value("attempt", 0), r));
            break;
          }
          JobRequest req;
          req.dataset = m->body.value("dataset", "");
          req.seed = m->body.value("seed", int64_t{0});
          req.data_dir = m->body.value("data_dir", "");
          req.job_dir = m->body.value("job_dir", "");
          req.attempt = m->body.value("attempt", 1);
          req.recipe = m->body.value("recipe", json::object());
          req.threads = m->body.value("threads", 0);
          req.resume = true;
          const std::string id = m->body.value("job", "");
          spdlog::info("{} attempt {}: starting in {}", id, req.attempt, req.job_dir);
          job = std::make_unique<RunningJob>(runner, std::move(req), id, m->body.value("session", ""), sticky);
          break;
        }
        case MsgKind::kStop:
          spdlog::info("stop requested by the coordinator: {}", m->body.value("reason", ""));
          if (job) job->request_stop();
          break;
        case MsgKind::kShutdown:
          spdlog::info("rank {}: shutdown", me);
          if (job) {
            job->request_stop();
            if (job->wait(opt.job_stop_grace_s)) finish_job();
            else job->detach();
          }
          return WorkerExit::kShutdown;
        case MsgKind::kPing:
          break;
        default:
          spdlog::warn("unexpected {} from the coordinator", to_string(m->kind));
      }
    }
    // --- signals
    if (int s = signals.preempt_signal.exchange(0)) {
      // Not sticky: the coordinator (which gets the same signal from mpirun) drains and sends no
      // more work; a signal sent to this rank alone only preempts its current job, which is
      // then reassigned. An assignment already in flight is followed by the coordinator's STOP.
      spdlog::warn("signal {}: checkpointing and stopping the current job", s);
      if (job) job->request_stop();
    }
    if (int s = signals.term_signal.exchange(0)) {
      spdlog::warn("signal {}: checkpointing, reporting and leaving", s);
      sticky_stop = true;
      leave_reason = "signal " + std::to_string(s);
      if (job) job->request_stop();
    }
    // --- the job
    if (job) {
      flush_progress();
      if (job->finished()) finish_job();
    }
    if (!job && !leave_reason.empty()) {
      transport.send(0, MsgKind::kBye, {{"reason", leave_reason}});
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (transport.pending_sends() && std::chrono::steady_clock::now() < until) {
        transport.progress();
        ::usleep(2000);
      }
      return WorkerExit::kLeft;
    }
    if (started && now - last_heartbeat >= heartbeat_s) {
      last_heartbeat = now;
      json hb{{"job", job ? job->job() : ""}, {"attempt", job ? job->attempt() : 0},
              {"counter", job ? job->counter() : -1}};
      transport.send(0, MsgKind::kHeartbeat, hb);
      if (!job && !sticky_stop) transport.send(0, MsgKind::kReady, json::object());
    }
    // --- the coordinator watchdog
    if (clock.now() - last_heard > watchdog_s) {
      spdlog::error("no message from the coordinator for {:.1f} s (timeout {} s): stopping by myself",
                    clock.now() - last_heard, watchdog_s);
      if (job) {
        job->request_stop();
        if (job->wait(opt.job_stop_grace_s)) {
          JobResult r = job->take_result();
          spdlog::info("{} attempt {}: {} ({})", job->job(), job->attempt(), to_string(r.end), r.reason);
        } else {
          spdlog::error("{}: the trainer did not stop within {} s", job->job(), opt.job_stop_grace_s);
          job->detach();
        }
        job.reset();
      }
      return WorkerExit::kCoordinatorLost;
    }
    transport.progress();
    ::usleep(static_cast<useconds_t>(opt.poll_interval_s * 1e6));
  }
}

}  // namespace amnl::orch
