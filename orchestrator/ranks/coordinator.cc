#include "orchestrator/ranks/coordinator.h"

#include "common/hostname.h"

#include <signal.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <set>

#include "common/exit_codes.h"
#include "common/json_fields.h"
#include "orchestrator/rundir/departure.h"
#include "orchestrator/rundir/lease.h"
#include "orchestrator/rundir/ledger.h"
#include "orchestrator/rundir/run_dir.h"
#include "orchestrator/rundir/run_lock.h"
#include "orchestrator/policy/run_outcome.h"
#include "orchestrator/policy/scheduler.h"
#include "orchestrator/policy/summary_throttle.h"

namespace amnl::orch {

using nlohmann::json;

void abort_workers(Transport& transport, const std::string& reason) {
  for (int r = 1; r < transport.size(); ++r) send_msg(transport, r, AbortMsg{reason});
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (transport.pending_sends() > 0 && std::chrono::steady_clock::now() < until) {
    transport.progress();
    ::usleep(2000);
  }
}

class Coordinator::Impl {
 public:
  Impl(Transport& t, Experiment e, std::shared_ptr<Storage> s, CoordinatorOptions o)
      : transport_(t), exp_(std::move(e)), storage_(std::move(s)), opt_(o),
        ledger_(storage_, ledger_path(exp_.run_dir)),
        clock_(opt_.clock ? opt_.clock : std::make_shared<SteadyClock>()), poll_timer_(io_), ping_timer_(io_),
        summary_timer_(io_), signals_(io_, SIGUSR1, SIGUSR2, SIGTERM),
        session_(opt_.session_id.empty() ? new_session_id() : opt_.session_id) {
    signals_.add(SIGINT);
  }

  int lost_ranks() const { return lost_ranks_; }
  bool force_end() const { return force_end_; }

  // Whether some worker said HELLO from another host than rank 0's.
  bool spans_hosts() const {
    const std::string me = hostname();
    for (const auto& [rank, peer] : peers_)
      if (!peer.host.empty() && peer.host != me) return true;
    return false;
  }

  int run() {
    Status st = prepare_run_dir(*storage_, exp_);
    if (!st.ok()) return refuse(st.message());
    auto replay = ledger_.replay();
    if (!replay) return refuse(replay.message());
    if (opt_.start_observer) observer_ = opt_.start_observer(exp_, replay->records);
    adopt_finished_jobs(replay->records);
    std::vector<JobSpec> specs;
    for (size_t d = 0; d < exp_.datasets.size(); ++d)
      for (int64_t seed : exp_.seeds)
        specs.push_back(JobSpec{JobKey{exp_.datasets[d], seed}, static_cast<double>(exp_.dataset_rows[d])});
    const SchedulerConfig cfg = scheduler_config(exp_.fault);
    write_rank_info(0, ::getpid(), hostname());
    ledger_append({{ledger::kEvent, ledger::event::kSessionStarted}, {"session", session_}, {"ranks", transport_.size()},
                   {"replayed_records", replay->records.size()}, {"damaged_ledger_lines", replay->damaged_lines},
                   {"experiment", exp_.file}});
    scheduler_ = std::make_unique<Scheduler>(
        specs, cfg, [this](const json& r) { on_record(r); }, replay->records);
    if (opt_.retry_failed) {
      for (const std::string& job : scheduler_->reset_failed_jobs("amnl run --retry-failed"))
        spdlog::info("{}: failed before; retrying with a fresh budget of {} attempts (--retry-failed)", job,
                     exp_.fault.max_attempts);
    }
    {
      const Counts c = scheduler_->counts();
      spdlog::info("run {}: {} jobs ({} already done), {} worker ranks", exp_.run_dir, specs.size(), c.done,
                   transport_.size() - 1);
    }
    write_outcome_now(RunOutcome::kRunning, "");
    const double now = clock_->now();
    start_time_ = now;
    for (int r = 1; r < transport_.size(); ++r) {
      scheduler_->add_worker(r, now);
      send_msg(transport_, r,
               StartMsg{exp_.run_dir, exp_.fault.heartbeat_interval_s, exp_.fault.coordinator_timeout_s,
                        exp_.fault.stop_grace_s, session_});
    }
    if (transport_.size() < 2) spdlog::error("no worker ranks: run with mpirun -np 2 or more");

    signals_.async_wait([this](const boost::system::error_code& ec, int sig) { on_signal(ec, sig); });
    if (opt_.early_signal && opt_.early_signal->load() != 0) {
      const int sig = opt_.early_signal->load();
      boost::asio::post(io_, [this, sig] { handle_signal(sig); });
    }
    schedule_poll();
    schedule_ping();
    schedule_summary();
    io_.run();
    return finish();
  }

 private:
  // --- refusals and recovery ------------------------------------------------------------------
  // The run cannot start (another experiment's run dir, unreadable ledger): the workers exit and
  // outcome.json says so, so that no script mistakes an old outcome for this session's; the
  // outcome it replaces stays in it as the run's last session.
  int refuse(const std::string& reason) {
    spdlog::error("{}", reason);
    abort_workers(transport_, reason);
    json replaced = nullptr;
    if (auto bytes = storage_->read(exp_.run_dir + "/outcome.json"); bytes.ok())
      replaced = json::parse(*bytes, nullptr, false);
    Status st = write_outcome(*storage_, exp_.run_dir, make_refused_outcome(exp_.run_dir, reason, replaced));
    if (!st.ok()) spdlog::error("{}", st.message());
    return kExitUsage;
  }

  // A job whose metrics.json exists finished, whatever the ledger lost (a failed append, a
  // damaged line): record it as done again rather than train it a second time. The trainer
  // writes metrics.json last, and only while its attempt holds the lease.
  void adopt_finished_jobs(std::vector<json>& replayed) {
    std::set<std::string> done;
    for (const json& r : replayed)
      if (string_or(r, ledger::kEvent, "") == ledger::event::kDone) done.insert(string_or(r, ledger::kJob, ""));
    for (const std::string& ds : exp_.datasets) {
      for (int64_t seed : exp_.seeds) {
        const JobKey key{ds, seed};
        const std::string id = job_id(key);
        auto dir = job_dir(exp_.run_dir, key);
        if (done.count(id) || !dir.ok() || !storage_->exists(*dir + "/metrics.json")) continue;
        auto bytes = storage_->read(*dir + "/metrics.json");
        auto m = bytes.ok() ? json::parse(*bytes, nullptr, false) : json();
        // Any field of any type: a damaged file must never throw on rank 0.
        if (!m.is_object() || string_or(m, "dataset", "") != ds || int64_or(m, "seed", -1) != seed) {
          spdlog::warn("{}: {}/metrics.json is unreadable or names another job; the job will be trained", id, *dir);
          continue;
        }
        const json run = object_or_empty(m, "run");
        json rec{{ledger::kEvent, ledger::event::kDone}, {ledger::kJob, id},
                 {ledger::kAttempt, int_or(run, "attempt", 0)},
                 {"epochs_run", int_or(m, "epochs_run", 0)}, {"resumed_from_epoch", -1}, {"metrics", m},
                 {"recovered", "the ledger had no done record; found " + *dir + "/metrics.json"}};
        spdlog::warn("{}: finished (metrics.json) but missing from the ledger; recording it as done", id);
        ledger_append(rec);
        replayed.push_back(rec);
      }
    }
  }

  // --- ledger and console -------------------------------------------------------------------
  // Records go out in order. One that cannot be written waits in memory with every later one and
  // is retried on each tick; if the ledger stays unwritable past the grace period, the run stops
  // cleanly (workers checkpoint) instead of going on with a journal that loses its history.
  void ledger_append(const json& r) {
    if (observer_) observer_->on_record(r);
    unwritten_.push_back(r);
    flush_ledger();
  }

  void flush_ledger() {
    while (!unwritten_.empty()) {
      Status st = ledger_.append(unwritten_.front());
      if (!st.ok()) {
        if (ledger_failing_since_ < 0) {
          ledger_failing_since_ = clock_->now();
          spdlog::error("ledger: {}; keeping {} record(s) in memory and retrying; the run stops if this lasts {} s",
                        st.message(), unwritten_.size(), opt_.ledger_failure_grace_s);
        }
        ledger_error_ = st.message();
        return;
      }
      unwritten_.pop_front();
    }
    if (ledger_failing_since_ >= 0) {
      spdlog::info("ledger: writable again after {:.1f} s; every record kept", clock_->now() - ledger_failing_since_);
      ledger_failing_since_ = -1;
    }
  }

  // A job that cannot write its files (disk full, quota) will not be the only one: stop cleanly
  // rather than let every job fail against the same disk.
  void check_job_storage() {
    if (scheduler_->storage_failure().empty() || !storage_stop_reason_.empty()) return;
    storage_stop_reason_ = "job files cannot be written (" + scheduler_->storage_failure() +
                           "); workers checkpointed and stopped; free space (or fix the storage) and rerun the same "
                           "command to resume";
    spdlog::error("{}", storage_stop_reason_);
    start_drain("storage failing");
  }

  void check_ledger_health(double now) {
    if (ledger_failing_since_ < 0 || now - ledger_failing_since_ < opt_.ledger_failure_grace_s) return;
    if (storage_stop_reason_.empty()) {
      storage_stop_reason_ = "the ledger " + ledger_.path() + " cannot be written (" + ledger_error_ + ") for " +
                            std::to_string(static_cast<int>(now - ledger_failing_since_)) +
                            " s; workers checkpointed and stopped; free space (or fix the disk) and rerun the same "
                            "command to resume";
      spdlog::error("{}", storage_stop_reason_);
      start_drain("ledger unwritable");
    }
  }

  void on_record(const json& r) {
    ledger_append(r);
    const std::string ev = r.value(ledger::kEvent, "");
    const std::string job = r.value(ledger::kJob, "");
    if (ev == ledger::event::kProgress) {
      spdlog::debug("{} attempt {} epoch {}/{} val_rmse {:.3f}", job, r.value(ledger::kAttempt, 0),
                    r.value("epoch", 0), r.value("max_epochs", 0),
                    r.contains("val_rmse") && r["val_rmse"].is_number() ? r["val_rmse"].get<double>() : NAN);
    } else if (ev == ledger::event::kCheckpoint || ev == ledger::event::kQueued) {
      spdlog::debug("{}: {}", ev, r.dump());
    } else if (ev == ledger::event::kAssigned) {
      spdlog::info("{} -> rank {} (attempt {})", job, r.value(ledger::kRank, -1), r.value(ledger::kAttempt, 0));
    } else if (ev == ledger::event::kDone) {
      const json m = r.value("metrics", json::object());
      spdlog::info("{} done by rank {} (attempt {}, {} epochs{}): test RMSE {}", job, r.value(ledger::kRank, -1),
                   r.value(ledger::kAttempt, 0), r.value("epochs_run", 0),
                   r.value("resumed_from_epoch", -1) >= 0
                       ? ", resumed from epoch " + std::to_string(r.value("resumed_from_epoch", -1)) : "",
                   m.contains("test_rmse") ? m["test_rmse"].dump() : m.dump());
    } else if (ev == ledger::event::kFailed || ev == ledger::event::kAttemptFailed) {
      spdlog::warn("{} {} (attempt {}): {}", job, ev == ledger::event::kFailed ? "FAILED" : "attempt failed",
                   r.value(ledger::kAttempt, 0), r.value(ledger::kReason, ""));
    } else if (ev == ledger::event::kWorkerDead || ev == ledger::event::kWorkerLeft) {
      spdlog::warn("rank {} {}: {}{}", r.value(ledger::kRank, -1),
                   ev == ledger::event::kWorkerDead ? "declared dead" : "left",
                   r.value(ledger::kReason, ""), job.empty() ? "" : " (was running " + job + ")");
    } else if (ev == ledger::event::kWorkerExcluded) {
      spdlog::warn("rank {} excluded: no new jobs this session: {}", r.value(ledger::kRank, -1),
                   r.value(ledger::kReason, ""));
    } else if (ev == ledger::event::kPreempted) {
      spdlog::info("{} preempted on rank {} (attempt {}): {}; it will resume from its checkpoint", job,
                   r.value(ledger::kRank, -1), r.value(ledger::kAttempt, 0), r.value(ledger::kReason, ""));
    } else if (ev == ledger::event::kDraining) {
      spdlog::info("draining: no new assignments ({})", r.value(ledger::kReason, ""));
    } else {
      spdlog::debug("{}", r.dump());
    }
  }

  void write_rank_info(int rank, long pid, const std::string& host) {
    Status st = storage_->write_atomic(rank_info_path(exp_.run_dir, rank),
                                       json{{"rank", rank}, {"pid", pid}, {"host", host}}.dump() + "\n");
    if (!st.ok()) spdlog::warn("{}", st.message());
  }

  void write_outcome_now(RunOutcome o, const std::string& reason) {
    Status st = write_outcome(*storage_, exp_.run_dir, make_outcome(o, *scheduler_, exp_.run_dir, reason));
    if (!st.ok()) spdlog::error("{}", st.message());
  }

  // --- timers -------------------------------------------------------------------------------
  static std::chrono::microseconds us(double s) {
    return std::chrono::microseconds(static_cast<int64_t>(s * 1e6));
  }
  void schedule_poll() {
    poll_timer_.expires_after(us(opt_.poll_interval_s));
    poll_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      tick();
      if (!stopping_) schedule_poll();
    });
  }
  void schedule_ping() {
    ping_timer_.expires_after(us(exp_.fault.heartbeat_interval_s));
    ping_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      for (int r : scheduler_->live_ranks()) send_msg(transport_, r, PingMsg{});
      if (observer_) observer_->observe_workers(scheduler_->workers(), clock_->now());
      schedule_ping();
    });
  }
  void schedule_summary() {
    summary_timer_.expires_after(us(opt_.summary_interval_s));
    summary_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      if (summary_throttle_.should_print(scheduler_->counts(), clock_->now())) print_summary();
      schedule_summary();
    });
  }

  void print_summary() { spdlog::info("{}", summary_line(*scheduler_, clock_->now() - start_time_)); }

  void on_signal(const boost::system::error_code& ec, int sig) {
    if (ec) return;
    handle_signal(sig);
    signals_.async_wait([this](const boost::system::error_code& e, int s) { on_signal(e, s); });
  }

  void start_drain(const std::string& reason) {
    if (scheduler_->draining()) return;
    scheduler_->start_draining(reason);
    // Workers usually get the same signal from mpirun; a STOP covers the case they did not.
    for (int r : scheduler_->busy_ranks()) send_msg(transport_, r, StopMsg{reason});
  }

  void handle_signal(int sig) {
    const std::string name = sig == SIGUSR1 ? "SIGUSR1" : sig == SIGUSR2 ? "SIGUSR2" : sig == SIGTERM ? "SIGTERM" : "SIGINT";
    spdlog::warn("{} received: preempting (workers checkpoint and stop; rerun to resume)", name);
    start_drain(name);
    // SIGTERM is followed by SIGKILL within seconds: record "preempted" now, in case.
    if (sig == SIGTERM || sig == SIGINT) write_outcome_now(RunOutcome::kPreempted, name + " (coordinator)");
    preempt_reason_ = name;
  }

  // --- the event loop body ------------------------------------------------------------------
  void tick() {
    note_loop_gap();
    const double now = clock_->now();
    if (!unwritten_.empty()) flush_ledger();
    check_ledger_health(now);
    while (auto m = transport_.poll()) handle(*m, clock_->now());
    check_job_storage();
    if (now - last_pid_check_ >= opt_.pid_check_interval_s) {
      last_pid_check_ = now;
      check_pids(now);
    }
    for (int r : scheduler_->check_deadlines(now, [this](int rank) { return departed(rank); }))
      transport_.forget(r);
    for (const Assignment& a : scheduler_->dispatch(now)) send_assignment(a);
    transport_.progress();
    maybe_finish();
  }

  // The poll timer runs every few ms; a longer gap means this process did not run (SIGSTOP, a VM
  // steal, swapping, a blocking write to slow storage). Measured on the monotonic loop clock
  // before any message is read, so that a worker's silence is counted only while rank 0
  // listened: its heartbeats from the gap may not have been read yet.
  void note_loop_gap() {
    const double t = loop_clock_->now();
    const double gap = last_tick_ > 0 ? t - last_tick_ : 0;
    last_tick_ = t;
    if (gap < opt_.stall_threshold_s || !scheduler_) return;
    spdlog::warn("coordinator loop stalled for {:.1f} s: every live worker gets a fresh deadline", gap);
    scheduler_->on_coordinator_stall(gap, clock_->now());
  }

  void check_pids(double now) {
    for (auto& [rank, info] : peers_) {
      if (!scheduler_->may_send(rank)) continue;
      if (info.process_gone()) {
        if (auto why = departed(rank))
          scheduler_->on_worker_left(rank, *why, now);
        else
          scheduler_->declare_dead(rank, "process " + std::to_string(info.pid) + " is gone", now);
        transport_.forget(rank);
      }
    }
  }

  // Why `rank` left on purpose, from its departure note (a BYE rank 0 may never read), if any.
  std::optional<std::string> departed(int rank) const {
    const auto peer = peers_.find(rank);
    if (peer == peers_.end()) return std::nullopt;
    auto note = read_departure_note(*storage_, exp_.run_dir, rank, session_, peer->second.pid);
    if (!note) return std::nullopt;
    return "left on purpose (departure note): " + note->reason;
  }

  void send_assignment(const Assignment& a) {
    auto dir = job_dir(exp_.run_dir, a.key);
    Status st = dir.ok() ? write_lease(*storage_, *dir, a.job, a.attempt, a.rank, session_) : dir.status();
    if (!st.ok()) {
      // Without a lease the attempt could not be fenced later: do not start it.
      scheduler_->assignment_failed(a, "cannot assign: " + st.message());
      return;
    }
    AssignMsg assign;
    assign.job = a.job;
    assign.dataset = a.key.dataset;
    assign.seed = a.key.seed;
    assign.data_dir = exp_.data_dir;
    assign.job_dir = *dir;
    assign.attempt = a.attempt;
    assign.session = session_;
    assign.recipe = exp_.recipe;
    assign.threads = exp_.threads_per_rank;
    send_msg(transport_, a.rank, assign);
  }

  // Each body is read through its typed decoder: a malformed one is logged and dropped
  // (decode_msg), so no message from any rank can throw out of this loop.
  void handle(const Message& m, double now) {
    const int r = m.peer;
    if (r <= 0 || r >= transport_.size()) return;
    if (!scheduler_->may_send(r) && !readmit(r, now)) return ignore_dead_rank(m);
    switch (m.kind) {
      case MsgKind::kHello:
        if (auto hello = decode_msg<HelloMsg>(m)) on_hello(r, *hello, now);
        break;
      case MsgKind::kReady:
        if (decode_msg<ReadyMsg>(m)) scheduler_->on_ready(r, now);
        break;
      case MsgKind::kHeartbeat:
        if (auto hb = decode_msg<HeartbeatMsg>(m)) scheduler_->on_heartbeat(r, hb->job, hb->attempt, hb->counter, now);
        break;
      case MsgKind::kProgress:
        if (auto p = decode_msg<ProgressMsg>(m)) on_progress(r, *p, now);
        break;
      case MsgKind::kResult:
        if (auto res = decode_msg<ResultMsg>(m)) on_result(r, *res, now);
        break;
      case MsgKind::kBye:
        if (auto bye = decode_msg<ByeMsg>(m)) {
          scheduler_->on_worker_left(r, bye->reason, now);
          transport_.forget(r);
        }
        break;
      default:
        spdlog::warn("unexpected {} message from rank {}", to_string(m.kind), r);
    }
  }

  void on_hello(int r, const HelloMsg& hello, double now) {
    Peer p;
    p.pid = hello.pid;
    p.host = hello.host;
    p.same_host = !opt_.treat_ranks_remote && p.host == hostname() && p.pid > 0;
    peers_[r] = p;
    write_rank_info(r, p.pid, p.host);
    scheduler_->on_heard(r, now);
  }

  void on_progress(int r, const ProgressMsg& p, double now) {
    if (!scheduler_->on_progress(r, p.job, p.attempt, p.progress, now))
      spdlog::warn("ignoring progress of stale attempt {} of {} from rank {}", p.attempt, p.job, r);
  }

  void on_result(int r, const ResultMsg& res, double now) {
    if (!scheduler_->on_result(r, res.job, res.attempt, res.result, now))
      spdlog::warn("ignoring result of stale attempt {} of {} from rank {}", res.attempt, res.job, r);
  }

  // A rank declared dead for silence speaks again: the network (or its node) is back. It is a
  // member again, told to drop the attempt it may still run (that job went to another rank
  // under a newer lease, so the old attempt can write nothing); it gets work when it asks.
  bool readmit(int r, double now) {
    if (!scheduler_->readmit(r, now)) return false;
    transport_.readmit(r);
    send_msg(transport_, r, StopMsg{"readmitted after being declared dead: your attempt is stale, drop it"});
    return true;
  }

  // A rank declared dead (or gone) that still talks: a stale attempt. Never answer it.
  static void ignore_dead_rank(const Message& m) {
    std::optional<std::pair<std::string, int>> attempt;
    if (m.kind == MsgKind::kResult)
      if (auto res = ResultMsg::decode(m.body)) attempt.emplace(res->job, res->attempt);
    if (m.kind == MsgKind::kProgress)
      if (auto p = ProgressMsg::decode(m.body)) attempt.emplace(p->job, p->attempt);
    if (attempt)
      spdlog::warn("ignoring {} from rank {} (declared dead): {} attempt {}", to_string(m.kind), m.peer,
                   attempt->first, attempt->second);
  }

  void maybe_finish() {
    if (stopping_) return;
    const Counts c = scheduler_->counts();
    if (scheduler_->all_jobs_ended()) {
      final_ = c.failed > 0 ? RunOutcome::kFailed : RunOutcome::kComplete;
      final_reason_ = c.failed > 0 ? std::to_string(c.failed) + " job(s) failed" : "";
    } else if (scheduler_->draining() && !scheduler_->any_busy()) {
      final_ = storage_stop_reason_.empty() ? RunOutcome::kPreempted : RunOutcome::kIncomplete;
      final_reason_ = storage_stop_reason_.empty() ? "preempted by " + preempt_reason_ : storage_stop_reason_;
    } else if (c.live_workers == 0 && clock_->now() - start_time_ > 0) {
      final_ = RunOutcome::kIncomplete;
      final_reason_ = "no live worker left";
    } else if (c.usable_workers() == 0 && !scheduler_->any_busy() && clock_->now() - start_time_ > 0) {
      final_ = RunOutcome::kIncomplete;
      final_reason_ = "no usable worker left: " + std::to_string(c.excluded_workers) +
                      " rank(s) excluded after failing jobs that then finished elsewhere (see the log); "
                      "rerun on healthy nodes to finish";
    } else {
      return;
    }
    stopping_ = true;
    poll_timer_.cancel();
    ping_timer_.cancel();
    summary_timer_.cancel();
    signals_.cancel();
  }

  // The live workers were told to exit without MPI_Finalize: rank 0 ends the MPI job only once
  // they are gone (an MPI_Abort while they run leaves them running on a single node), or after
  // the shutdown grace. Their BYE, or a process found gone on this host, says so.
  void wait_for_goodbyes() {
    std::set<int> waiting;
    for (int r : scheduler_->live_ranks()) waiting.insert(r);
    const auto until = std::chrono::steady_clock::now() + us(opt_.shutdown_grace_s);
    while (!waiting.empty() && std::chrono::steady_clock::now() < until) {
      while (auto m = transport_.poll())
        if (m->kind == MsgKind::kBye) waiting.erase(m->peer);
      for (auto it = waiting.begin(); it != waiting.end();) {
        const auto peer = peers_.find(*it);
        it = peer != peers_.end() && peer->second.process_gone() ? waiting.erase(it) : std::next(it);
      }
      transport_.progress();
      ::usleep(2000);
    }
    if (!waiting.empty())
      spdlog::warn("{} live worker(s) did not confirm the shutdown within {} s", waiting.size(), opt_.shutdown_grace_s);
  }

  int finish() {
    lost_ranks_ = scheduler_->counts().dead_workers;
    // Across nodes, after a lost rank, neither MPI_Finalize nor MPI_Abort ends the job (measured:
    // bench/RESULTS-notes.md, "How a multi-node run ends"): workers exit without finalizing and
    // rank 0 ends mpirun itself (run_command.cc). On one node MPI_Finalize still works.
    force_end_ = lost_ranks_ > 0 && spans_hosts();
    for (int r : scheduler_->live_ranks()) send_msg(transport_, r, ShutdownMsg{!force_end_});
    if (force_end_) {
      wait_for_goodbyes();
    } else {
      const auto until = std::chrono::steady_clock::now() + us(opt_.shutdown_grace_s);
      while (transport_.pending_sends() > 0 && std::chrono::steady_clock::now() < until) {
        transport_.progress();
        ::usleep(2000);
      }
    }
    print_summary();
    ledger_append({{ledger::kEvent, ledger::event::kSessionEnded}, {"outcome", to_string(final_)},
                   {ledger::kReason, final_reason_}});
    // The disk may come back within the grace period: give the journal that long to catch up.
    const double give_up_at = clock_->now() + opt_.ledger_failure_grace_s;
    while (!unwritten_.empty() && storage_stop_reason_.empty() && clock_->now() < give_up_at) {
      ::usleep(50000);
      flush_ledger();
    }
    if (!unwritten_.empty())
      spdlog::error("ledger: {} record(s) could not be written; finished jobs are recovered from their "
                    "metrics.json on the next run", unwritten_.size());
    write_outcome_now(final_, final_reason_);
    const Counts c = scheduler_->counts();
    spdlog::info("run {}: {} ({} done, {} failed of {}){}; outcome in {}/outcome.json", exp_.run_dir,
                 to_string(final_), c.done, c.failed, scheduler_->jobs().size(),
                 final_reason_.empty() ? "" : ": " + final_reason_, exp_.run_dir);
    for (const auto& [id, j] : scheduler_->jobs())
      if (j.state == JobState::kFailed) spdlog::warn("failed: {}: {}", id, j.reason);
    // Every ending gets its report (partial runs included).
    if (opt_.at_end) opt_.at_end(exp_);
    observer_.reset();  // the views serve the final state until here
    return exit_code_of(final_);
  }

  struct Peer {
    long pid = 0;
    std::string host;
    bool same_host = false;
    // Known gone: on this host, and kill(pid, 0) finds no such process (on another host: unknown).
    bool process_gone() const { return same_host && ::kill(pid, 0) != 0 && errno == ESRCH; }
  };

  Transport& transport_;
  Experiment exp_;
  std::shared_ptr<Storage> storage_;
  CoordinatorOptions opt_;
  Ledger ledger_;
  std::shared_ptr<const Clock> clock_;  // the scheduler's time: steady in production, fake in tests
  boost::asio::io_context io_;
  boost::asio::steady_timer poll_timer_, ping_timer_, summary_timer_;
  SummaryThrottle summary_throttle_{opt_.summary_quiet_interval_s};
  boost::asio::signal_set signals_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<RunObserver> observer_;  // the live views (status server), when the experiment asks for them
  std::string session_;
  std::deque<json> unwritten_;     // ledger records not yet durable, oldest first
  double ledger_failing_since_ = -1;
  std::string ledger_error_, storage_stop_reason_;
  std::map<int, Peer> peers_;
  double start_time_ = 0, last_pid_check_ = 0;
  std::shared_ptr<const Clock> loop_clock_ = opt_.loop_clock ? opt_.loop_clock : std::make_shared<SteadyClock>();
  double last_tick_ = 0;  // on loop_clock_
  int lost_ranks_ = 0;  // dead or gone at the end of the session
  bool force_end_ = false;  // a rank was lost and the job spans hosts: rank 0 must end mpirun
  bool stopping_ = false;
  RunOutcome final_ = RunOutcome::kIncomplete;
  std::string final_reason_, preempt_reason_;
};

Coordinator::Coordinator(Transport& transport, Experiment experiment, std::shared_ptr<Storage> storage,
                         CoordinatorOptions options)
    : impl_(std::make_unique<Impl>(transport, std::move(experiment), std::move(storage), options)) {}
Coordinator::~Coordinator() = default;
int Coordinator::run() { return impl_->run(); }
int Coordinator::lost_ranks() const { return impl_->lost_ranks(); }
bool Coordinator::must_end_mpirun() const { return impl_->force_end(); }

}  // namespace amnl::orch
