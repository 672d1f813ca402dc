// The coordinator's event loop over an in-process fake transport (no MPI): leases are written
// before assignments are sent, a worker that goes silent is declared dead, its job is reassigned
// and nothing is ever sent to it again.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <limits>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "common/fault_injecting_storage.h"
#include "orchestrator/ranks/coordinator.h"
#include "orchestrator/rundir/departure.h"
#include "orchestrator/rundir/lease.h"
#include "orchestrator/rundir/ledger.h"
#include "queued_transport.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

// Workers simulated inside the transport: each finishes a job `job_seconds` after it is assigned
// (writing metrics.json into the job dir, as the trainer does last), answers STOP with
// "preempted", except `silent_after_assign`, which takes its first job and never speaks again.
class FakeWorkers final : public QueuedTransport {
 public:
  FakeWorkers(int size, int silent_after_assign, std::shared_ptr<Storage> storage, double job_seconds = 0)
      : size_(size), silent_rank_(silent_after_assign), storage_(std::move(storage)), job_seconds_(job_seconds) {}
  int rank() const override { return 0; }
  int size() const override { return size_; }
  void send(int dest, MsgKind kind, const json& body) override {
    if (forgotten_.count(dest)) ++sent_to_forgotten;  // must never happen
    if (kind == MsgKind::kStart) {
      session_ = body.value("session", "");
      if (hostile) {  // mistyped HELLO and BYE: neither may be acted upon
        inbox_.push_back(Message{MsgKind::kHello, dest, {{"pid", "x"}, {"host", 5}}});
        inbox_.push_back(Message{MsgKind::kBye, dest, {{"reason", 7}}});
      }
      inbox_.push_back(Message{MsgKind::kHello, dest, {{"pid", 0}, {"host", "elsewhere"}}});
      inbox_.push_back(Message{MsgKind::kReady, dest, json::object()});
    } else if (kind == MsgKind::kAssign) {
      const std::string job = body["job"];
      const int attempt = body["attempt"];
      if (!lease_owned_by(*storage_, body["job_dir"], attempt, body.value("session", ""))) ++assign_without_lease;
      assigned.push_back({dest, job, attempt});
      if (auto p = partition_on_first_assign.find(dest); p != partition_on_first_assign.end() && !partitioned_.count(dest)) {
        partitioned_[dest] = clock_.now() + p->second;  // its messages are held until then
      }
      if (auto d = depart_on_first_assign.find(dest); d != depart_on_first_assign.end()) {
        // Checkpoints, writes its note and exits; its BYE never reaches rank 0.
        EXPECT_TRUE(write_departure_note(*storage_, run_dir_of(body["job_dir"]), {dest, 0, "elsewhere", session_, d->second, job, attempt}).ok());
        depart_on_first_assign.erase(d);
        gone_silent_.insert(dest);
        return;
      }
      if (dest == silent_rank_) {
        silent_ = true;
        return;
      }
      if (gone_silent_.count(dest)) return;
      if (broken.count(dest)) {  // a node that cannot run anything: fails at once
        JobResult r;
        r.end = JobEnd::kFailed;
        r.reason = "cannot open the data: No such file or directory";
        push(Message{MsgKind::kResult, dest, ResultMsg::of(job, attempt, r).encode()});
        inbox_.push_back(Message{MsgKind::kReady, dest, json::object()});
        return;
      }
      running_[dest] = Running{job, attempt, body["job_dir"], body["dataset"], body["seed"], clock_.now() + job_seconds_,
                               clock_.now(), 0};
    } else if (kind == MsgKind::kStop) {
      auto it = running_.find(dest);
      if (it == running_.end()) return;
      JobResult r;
      r.end = JobEnd::kPreempted;
      r.reason = "stop requested";
      push(Message{MsgKind::kResult, dest, ResultMsg::of(it->second.job, it->second.attempt, r).encode()});
      push(Message{MsgKind::kReady, dest, json::object()});  // as a worker does after its job ended
      running_.erase(it);
    } else if (kind == MsgKind::kShutdown) {
      shutdown.insert(dest);
      // Without MPI_Finalize (a rank was lost), a worker says goodbye before it exits.
      if (!body.value("finalize", true)) push(Message{MsgKind::kBye, dest, {{"reason", "shutdown"}}});
    }
  }
  std::optional<Message> poll() override {
    if (simulated) simulated->advance(simulated_seconds_per_poll);
    const double now = clock_.now();
    if (first_poll_ < 0) first_poll_ = now;
    if (simulated && stall_after_s >= 0 && now - first_poll_ > stall_after_s) {
      // Rank 0 is paused: time jumps, and on waking its first reads find nothing yet (MPI's
      // progress engine has not read the sockets), although every worker kept talking.
      stall_after_s = -1;
      simulated->advance(stall_seconds);
      mute_polls_ = 2;
    }
    if (mute_polls_ > 0) {
      --mute_polls_;
      return std::nullopt;
    }
    release_healed(now);
    for (auto it = running_.begin(); it != running_.end();) {
      if (now < it->second.done_at) {
        if (now - it->second.last_progress >= 0.02) {  // an "epoch" every 20 ms
          it->second.last_progress = now;
          JobProgress p;
          p.epoch = ++it->second.epoch;
          p.max_epochs = 1000;
          p.batches_done = p.epoch;
          push(Message{MsgKind::kProgress, it->first, ProgressMsg::of(it->second.job, it->second.attempt, p).encode()});
        }
        ++it;
        continue;
      }
      const Running& j = it->second;
      JobResult r;
      r.end = JobEnd::kDone;
      r.metrics = {{"dataset", j.dataset}, {"seed", j.seed}, {"test_rmse", 1.5}, {"run", {{"attempt", j.attempt}}}};
      if (!lease_owned_by(*storage_, j.job_dir, j.attempt, session_)) {
        r.end = JobEnd::kFenced;  // as the trainer does: a stale attempt writes nothing
        r.reason = "lease lost";
        ++fenced;
      } else {
        EXPECT_TRUE(storage_->write_atomic(j.job_dir + "/metrics.json", r.metrics.dump()).ok());
        ++trained[j.job];
        ++trained_total;
      }
      push(Message{MsgKind::kResult, it->first, ResultMsg::of(j.job, j.attempt, r).encode()});
      push(Message{MsgKind::kReady, it->first, json::object()});
      if (++done_by_[it->first] == silent_after_done[it->first]) gone_silent_.insert(it->first);
      it = running_.erase(it);
    }
    // Heartbeats from every worker that still talks.
    if (now - last_hb_ > 0.02) {
      last_hb_ = now;
      for (int r = 1; r < size_; ++r)
        if (!(r == silent_rank_ && silent_) && !gone_silent_.count(r)) push(Message{MsgKind::kHeartbeat, r, {{"job", ""}, {"attempt", 0}, {"counter", -1}}});
    }
    return take_queued();
  }
  void forget(int rank) override { forgotten_.insert(rank); }
  void readmit(int rank) override { forgotten_.erase(rank); ++readmitted; }

  struct Sent { int rank; std::string job; int attempt; };
  int fenced = 0;  // attempts that ended without writing, their lease lost
  // rank -> seconds: from its first assignment on, its messages are held that long (a network
  // partition) and then delivered late, in order, as TCP does after a heal.
  std::map<int, double> partition_on_first_assign;
  // rank -> reason: on its first assignment it leaves on purpose, writing a departure note.
  std::map<int, std::string> depart_on_first_assign;
  // With `simulated`: this many (real) seconds after the first poll, rank 0 stalls for
  // `stall_seconds` of the simulated clock.
  double stall_after_s = -1, stall_seconds = 0;
  std::vector<Sent> assigned;
  std::map<std::string, int> trained;  // job -> times trained to the end
  std::atomic<int> trained_total{0};   // the same, summed: safe to read from another thread
  std::set<int> shutdown;
  int sent_to_forgotten = 0, assign_without_lease = 0, readmitted = 0;
  // The coordinator's clock, when a test gives it a fake one: every poll moves it forward.
  std::shared_ptr<FakeClock> simulated;
  double simulated_seconds_per_poll = 0;
  // Hostile workers: every HEARTBEAT, PROGRESS and RESULT comes first as two malformed copies
  // (a string attempt, a numeric job), as a corrupt or hostile rank could send them.
  bool hostile = false;
  int malformed_sent = 0;
  std::set<int> broken;                  // ranks that fail every job at once
  std::map<int, int> silent_after_done;  // rank -> jobs it finishes before it goes silent for good

 private:
  static std::string run_dir_of(const std::string& job_dir) {  // <run_dir>/jobs/<ds>/seed_<n>
    std::filesystem::path p(job_dir);
    return p.parent_path().parent_path().parent_path().string();
  }
  void release_healed(double now) {
    for (auto it = partitioned_.begin(); it != partitioned_.end(); ++it) {
      if (now < it->second) continue;
      for (Message& m : held_[it->first]) inbox_.push_back(std::move(m));
      held_.erase(it->first);
      it->second = std::numeric_limits<double>::infinity();  // healed for good
      healed_.insert(it->first);
    }
  }
  void push(Message m) {
    if (auto p = partitioned_.find(m.peer); p != partitioned_.end() && !healed_.count(m.peer)) {
      held_[m.peer].push_back(std::move(m));
      return;
    }
    if (hostile) {
      Message bad = m;
      bad.body["attempt"] = "x";
      inbox_.push_back(bad);
      bad = m;
      bad.body["job"] = 5;
      inbox_.push_back(std::move(bad));
      malformed_sent += 2;
    }
    inbox_.push_back(std::move(m));
  }

  struct Running {
    std::string job;
    int attempt;
    std::string job_dir, dataset;
    int64_t seed;
    double done_at, last_progress;
    int epoch;
  };
  int size_, silent_rank_;
  bool silent_ = false;
  std::shared_ptr<Storage> storage_;
  double job_seconds_;
  std::map<int, Running> running_;
  std::map<int, int> done_by_;
  std::set<int> gone_silent_;
  std::set<int> forgotten_;
  SteadyClock clock_;
  double last_hb_ = 0;
  std::string session_;
  std::map<int, double> partitioned_;  // rank -> when its partition heals
  std::set<int> healed_;
  std::map<int, std::deque<Message>> held_;
  double first_poll_ = -1;
  int mute_polls_ = 0;
};

std::vector<json> ledger_records(const test::TempDir& dir) {
  Ledger ledger(make_posix_storage(), dir / "run/ledger.jsonl");
  auto replay = ledger.replay();
  EXPECT_TRUE(replay.ok());
  return replay.ok() ? replay->records : std::vector<json>{};
}

int count_events(const std::vector<json>& records, const std::string& event) {
  int n = 0;
  for (const json& r : records) n += r.value("event", "") == event;
  return n;
}

Experiment experiment(const test::TempDir& dir) {
  std::filesystem::create_directories(dir / "data");
  for (const char* kind : {"train_", "test_", "RUL_"}) test::write_file(dir / (std::string("data/") + kind + "X.txt"), "1\n");
  json j{{"run_dir", "run"}, {"data_dir", "data"}, {"datasets", {"X"}}, {"seeds", {1, 2, 3, 4}}, {"preset", "tiny"},
         {"fault", {{"heartbeat_interval_s", 0.02}, {"worker_timeout_s", 0.3}, {"progress_timeout_s", 5},
                    {"coordinator_timeout_s", 1}, {"max_attempts", 3}}}};
  auto e = parse_experiment(j, dir.path());
  EXPECT_TRUE(e.ok()) << e.message();
  return *e;
}

// Options without the periodic summary line: the tests read the ledger, not the log.
CoordinatorOptions quiet_options() {
  CoordinatorOptions opt;
  opt.summary_interval_s = 100;
  return opt;
}

// A thread that makes the disk refuse appends once the first job is done (after its done record
// is durable), for `full_for_s` seconds, or for good when that is negative.
std::thread fill_the_disk_after_the_first_job(const FakeWorkers& workers, FaultInjectingStorage& disk,
                                              double full_for_s = -1) {
  return std::thread([&workers, &disk, full_for_s] {
    while (workers.trained_total == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    disk.set_appends_failing(true);
    if (full_for_s < 0) return;
    std::this_thread::sleep_for(std::chrono::duration<double>(full_for_s));
    disk.set_appends_failing(false);
  });
}

TEST(CoordinatorTest, LeaseBeforeAssignDeadWorkerFencedAndNeverContactedAgain) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  FakeWorkers workers(3, /*silent_after_assign=*/2, storage);
  CoordinatorOptions opt = quiet_options();
  Coordinator c(workers, experiment(dir), storage, opt);
  EXPECT_EQ(c.run(), 0);
  EXPECT_EQ(workers.assign_without_lease, 0);
  EXPECT_EQ(workers.sent_to_forgotten, 0);
  EXPECT_EQ(workers.shutdown, std::set<int>{1});  // only the live worker is told to stop
  // Rank 2's job was reassigned as attempt 2; the lease now fences rank 2's attempt 1.
  std::string lost;
  for (const auto& a : workers.assigned)
    if (a.rank == 2) lost = a.job;
  ASSERT_FALSE(lost.empty());
  int attempts = 0;
  for (const auto& a : workers.assigned)
    if (a.job == lost) attempts = std::max(attempts, a.attempt);
  EXPECT_EQ(attempts, 2);
  const std::string seed = lost.substr(lost.rfind("-s") + 2);
  const json lease = json::parse(test::read_file(dir / ("run/jobs/X/seed_" + seed + "/lease.json")));
  EXPECT_EQ(lease["attempt"], 2);
  EXPECT_FALSE(lease_owned_by(*storage, dir / ("run/jobs/X/seed_" + seed), 1, lease["session"]));
  Ledger ledger(storage, dir / "run/ledger.jsonl");
  auto replay = ledger.replay();
  ASSERT_TRUE(replay.ok());
  int done = 0, dead = 0;
  for (const json& r : replay->records) {
    done += r["event"] == "done";
    dead += r["event"] == "worker_dead";
  }
  EXPECT_EQ(done, 4);
  EXPECT_EQ(dead, 1);
  const json outcome = json::parse(test::read_file(dir / "run/outcome.json"));
  EXPECT_EQ(outcome["outcome"], "complete");
  EXPECT_EQ(outcome["dead_ranks"], json::array({2}));
}



// The coordinator's deadlines run on the clock it is given: a silent worker is declared dead
// after a worker timeout of 1000 simulated seconds, reached in far less real time.
TEST(CoordinatorTest, AWorkerTimeoutIsAppliedOnTheGivenClock) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  FakeWorkers workers(3, /*silent_after_assign=*/2, storage);
  workers.simulated = std::make_shared<FakeClock>();
  workers.simulated_seconds_per_poll = 1.0;
  Experiment e = experiment(dir);
  e.fault.worker_timeout_s = 1000;
  e.fault.progress_timeout_s = 1e9;  // only the worker timeout may end rank 2's attempt
  CoordinatorOptions opt = quiet_options();
  opt.clock = workers.simulated;
  const auto started = std::chrono::steady_clock::now();
  Coordinator c(workers, e, storage, opt);
  EXPECT_EQ(c.run(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
  EXPECT_GE(workers.simulated->now() - FakeClock().now(), 1000.0);  // the deadline passed on simulated time
  const auto records = ledger_records(dir);
  EXPECT_EQ(count_events(records, "worker_dead"), 1);
  EXPECT_EQ(count_events(records, "done"), 4);
}

int count_events_for_rank(const std::vector<json>& records, const std::string& event, int rank) {
  int n = 0;
  for (const json& r : records) n += r.value("event", "") == event && r.value("rank", -1) == rank;
  return n;
}

// Regression (issue 23): a rank declared dead for silence (a partition longer than the worker
// timeout) was never let back in, so a 7 s network blip cost half the workers for the rest of
// the run. Now it is readmitted when heard from again: its stale attempt's result is ignored,
// and it gets new work under a new lease. Every job is trained to the end exactly once.
TEST(CoordinatorTest, ARankDeclaredDeadThatIsHeardFromAgainIsReadmittedAndGetsNewWork) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  FakeWorkers workers(3, /*silent_after_assign=*/-1, storage, /*job_seconds=*/1.0);
  workers.partition_on_first_assign[2] = 0.7;  // > worker_timeout_s 0.3
  CoordinatorOptions opt = quiet_options();
  Coordinator c(workers, experiment(dir), storage, opt);
  EXPECT_EQ(c.run(), 0);
  const auto records = ledger_records(dir);
  EXPECT_EQ(count_events_for_rank(records, "worker_dead", 2), 1);
  EXPECT_EQ(count_events_for_rank(records, "worker_readmitted", 2), 1);
  // After its readmission rank 2 was assigned again.
  bool readmitted = false, assigned_after = false;
  for (const json& r : records) {
    if (r.value("event", "") == "worker_readmitted") readmitted = true;
    if (readmitted && r.value("event", "") == "assigned" && r.value("rank", -1) == 2) assigned_after = true;
  }
  EXPECT_TRUE(assigned_after);
  EXPECT_EQ(count_events(records, "done"), 4);
  for (const auto& [job, n] : workers.trained) EXPECT_EQ(n, 1) << job;
  EXPECT_EQ(workers.trained_total.load(), 4);
  EXPECT_EQ(workers.readmitted, 1);
  EXPECT_EQ(workers.sent_to_forgotten, 0);
  const json outcome = json::parse(test::read_file(dir / "run/outcome.json"));
  EXPECT_EQ(outcome["outcome"], "complete");
  EXPECT_EQ(outcome["dead_ranks"], json::array());
}

// A rank declared dead because its trainer hung (heartbeats, no progress) is not readmitted by
// its heartbeats: it would take work it cannot do.
TEST(SchedulerReadmission, OnlyRanksDeclaredDeadForSilenceAreReadmitted) {
  std::vector<json> records;
  SchedulerConfig cfg;
  cfg.worker_timeout_s = 10;
  cfg.progress_timeout_s = 20;
  Scheduler s({JobSpec{JobKey{"X", 1}, 1}, JobSpec{JobKey{"X", 2}, 1}}, cfg,
              [&](const json& r) { records.push_back(r); });
  s.add_worker(1, 0);
  s.add_worker(2, 0);
  s.on_ready(1, 0);
  s.on_ready(2, 0);
  ASSERT_EQ(s.dispatch(0).size(), 2u);
  for (double t = 1; t <= 15; t += 1) s.on_heartbeat(2, "X-s2", 1, 7, t);  // alive, stuck at batch 7
  s.on_heartbeat(2, "X-s2", 1, 7, 22);
  EXPECT_EQ(s.check_deadlines(22), (std::vector<int>{1, 2}));  // 1: silent; 2: no progress
  EXPECT_FALSE(s.readmit(2, 22));  // hung: stays dead
  EXPECT_TRUE(s.readmit(1, 22));   // silent: back
  EXPECT_FALSE(s.readmit(1, 23));  // already live
  EXPECT_TRUE(s.may_send(1));
  EXPECT_FALSE(s.may_send(2));
  s.declare_dead(1, "process gone", 24);
  EXPECT_FALSE(s.readmit(1, 25));  // a process found gone never comes back
}

// Regression (issue 23): rank 0 paused for longer than worker_timeout_s (SIGSTOP, a VM steal)
// while every worker kept sending heartbeats; on waking, before it had read them, it declared
// every worker dead and ended the session "no live worker left". A gap in its own loop now
// gives every worker a fresh deadline first.
TEST(CoordinatorTest, ACoordinatorThatWasPausedDoesNotBlameItsWorkers) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  FakeWorkers workers(3, /*silent_after_assign=*/-1, storage, /*job_seconds=*/0.6);
  workers.simulated = std::make_shared<FakeClock>();
  workers.stall_after_s = 0.2;
  workers.stall_seconds = 5.5;  // > worker_timeout_s 0.3 (and < any real coordinator timeout)
  CoordinatorOptions opt = quiet_options();
  opt.clock = workers.simulated;
  opt.loop_clock = workers.simulated;
  Coordinator c(workers, experiment(dir), storage, opt);
  EXPECT_EQ(c.run(), 0);
  const auto records = ledger_records(dir);
  EXPECT_EQ(count_events(records, "worker_dead"), 0);
  EXPECT_EQ(count_events(records, "attempt_failed"), 0);
  EXPECT_EQ(count_events(records, "coordinator_stalled"), 1);
  EXPECT_EQ(count_events(records, "done"), 4);
}

// Regression (issue 23): a worker that left on purpose (it gave up on a silent rank 0, or got
// SIGTERM) and whose BYE rank 0 never read was recorded as a crash: worker_dead and an attempt
// charged to its job. Its departure note now says it left: the job is requeued uncharged.
TEST(CoordinatorTest, AWorkerThatLeftANoteIsRecordedAsLeftAndItsJobIsNotCharged) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  FakeWorkers workers(3, /*silent_after_assign=*/-1, storage, /*job_seconds=*/0.2);
  workers.depart_on_first_assign[2] = "no message from the coordinator for 61.0 s: checkpointed and left";
  CoordinatorOptions opt = quiet_options();
  Coordinator c(workers, experiment(dir), storage, opt);
  EXPECT_EQ(c.run(), 0);
  const auto records = ledger_records(dir);
  EXPECT_EQ(count_events(records, "worker_dead"), 0);
  EXPECT_EQ(count_events(records, "attempt_failed"), 0);
  ASSERT_EQ(count_events_for_rank(records, "worker_left", 2), 1);
  for (const json& r : records) {
    if (r.value("event", "") == "worker_left") {
      EXPECT_NE(r.value("reason", "").find("departure note"), std::string::npos) << r.dump();
    }
  }
  EXPECT_GE(count_events_for_rank(records, "preempted", 2), 1);
  EXPECT_EQ(count_events(records, "done"), 4);
}

// Regression: a refused rerun left the previous session's outcome.json in place ("preempted,
// rerun: true" made the Slurm script requeue forever; "complete" reported success).
TEST(CoordinatorTest, ARefusedRunLeavesARefusedOutcome) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  {
    FakeWorkers workers(3, -1, storage);
    CoordinatorOptions opt = quiet_options();
    Coordinator c(workers, experiment(dir), storage, opt);
    ASSERT_EQ(c.run(), 0);
  }
  ASSERT_EQ(json::parse(test::read_file(dir / "run/outcome.json"))["outcome"], "complete");
  Experiment changed = experiment(dir);
  changed.seeds.push_back(99);  // another experiment on the same run dir
  FakeWorkers workers(3, -1, storage);
  Coordinator c(workers, changed, storage);
  EXPECT_EQ(c.run(), 2);
  const json outcome = json::parse(test::read_file(dir / "run/outcome.json"));
  EXPECT_EQ(outcome["outcome"], "refused");
  EXPECT_EQ(outcome["rerun"], false);
  EXPECT_EQ(outcome["exit_code"], 2);
  EXPECT_NE(outcome["reason"].get<std::string>().find("seeds"), std::string::npos) << outcome.dump();
  EXPECT_TRUE(workers.assigned.empty());
  // Regression: the refusal erased the complete run's outcome ("jobs": null). It keeps it as the
  // run's last session, and a second refusal keeps that same session, not the first refusal.
  ASSERT_TRUE(outcome["last_session"].is_object()) << outcome.dump();
  EXPECT_EQ(outcome["last_session"]["outcome"], "complete");
  EXPECT_EQ(outcome["last_session"]["exit_code"], 0);
  EXPECT_EQ(outcome["last_session"]["jobs"]["done"], 4);
  FakeWorkers again(3, -1, storage);
  Coordinator refused_again(again, changed, storage);
  EXPECT_EQ(refused_again.run(), 2);
  const json second = json::parse(test::read_file(dir / "run/outcome.json"));
  EXPECT_EQ(second["outcome"], "refused");
  EXPECT_EQ(second["last_session"], outcome["last_session"]);
}

// Rank 1 fails every job (a node without the data) and is excluded once rank 2 finishes one of
// them; then rank 2 dies. The excluded rank is alive but may run nothing: the run must end
// "incomplete" (rerun elsewhere), not wait for ever, and not fail the jobs on rank 1.
TEST(CoordinatorTest, WhenOnlyExcludedRanksAreLeftTheRunEndsIncompleteForARerun) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  FakeWorkers workers(3, -1, storage, /*job_seconds=*/0.3);
  workers.broken = {1};
  workers.silent_after_done = {{2, 2}};
  CoordinatorOptions opt = quiet_options();
  Coordinator c(workers, experiment(dir), storage, opt);
  EXPECT_EQ(c.run(), 75);
  const json outcome = json::parse(test::read_file(dir / "run/outcome.json"));
  EXPECT_EQ(outcome["outcome"], "incomplete") << outcome.dump();
  EXPECT_EQ(outcome["rerun"], true);
  EXPECT_NE(outcome["reason"].get<std::string>().find("no usable worker left"), std::string::npos) << outcome.dump();
  EXPECT_EQ(outcome["jobs"]["done"], 2);
  EXPECT_EQ(outcome["jobs"]["failed"], 0);
  const auto records = ledger_records(dir);
  EXPECT_EQ(count_events(records, "worker_excluded"), 1);
  EXPECT_EQ(count_events(records, "worker_dead"), 1);
  EXPECT_EQ(workers.shutdown.count(1), 1u);  // the excluded rank is told to exit
}

// Regression (data loss): a ledger that could not be written was logged and ignored. Now the
// records wait in memory, a ledger that stays unwritable stops the run cleanly with the reason,
// and the rerun trains nothing twice: finished jobs whose records were lost are adopted from
// their metrics.json.
TEST(CoordinatorTest, AnUnwritableLedgerStopsTheRunCleanlyAndTheRerunLosesNothing) {
  test::TempDir dir;
  auto disk = std::make_shared<FaultInjectingStorage>(make_posix_storage());
  int first_exit = -1;
  std::map<std::string, int> trained;
  {
    FakeWorkers workers(3, -1, disk, /*job_seconds=*/0.3);
    CoordinatorOptions opt = quiet_options();
    opt.ledger_failure_grace_s = 0.1;
    Coordinator c(workers, experiment(dir), disk, opt);
    std::thread filler = fill_the_disk_after_the_first_job(workers, *disk);
    first_exit = c.run();
    filler.join();
    trained = workers.trained;
  }
  EXPECT_EQ(first_exit, 75);
  const json outcome = json::parse(test::read_file(dir / "run/outcome.json"));
  EXPECT_EQ(outcome["outcome"], "incomplete");
  EXPECT_EQ(outcome["rerun"], true);
  EXPECT_NE(outcome["reason"].get<std::string>().find("ledger"), std::string::npos) << outcome.dump();
  EXPECT_NE(outcome["reason"].get<std::string>().find("No space left"), std::string::npos) << outcome.dump();
  ASSERT_LT(static_cast<int>(trained.size()), 4) << "the run should have stopped early";

  disk->set_appends_failing(false);  // space again: the same command resumes
  FakeWorkers workers(3, -1, disk);
  CoordinatorOptions opt = quiet_options();
  Coordinator c(workers, experiment(dir), disk, opt);
  EXPECT_EQ(c.run(), 0);
  for (const auto& [job, n] : workers.trained) trained[job] += n;
  EXPECT_EQ(trained.size(), 4u);
  for (const auto& [job, n] : trained) EXPECT_EQ(n, 1) << job << " trained " << n << " times";
  const auto records = ledger_records(dir);
  std::set<std::string> done;
  for (const json& r : records)
    if (r["event"] == "done") {
      EXPECT_TRUE(done.insert(r["job"]).second) << "two done records for " << r["job"];
    }
  EXPECT_EQ(done.size(), 4u);
  EXPECT_EQ(json::parse(test::read_file(dir / "run/outcome.json"))["outcome"], "complete");
}

// A disk full for a moment only: records wait and are written in order once there is space;
// the run goes on and completes with the full history.
TEST(CoordinatorTest, ABriefLedgerOutageLosesNoRecord) {
  test::TempDir dir;
  auto disk = std::make_shared<FaultInjectingStorage>(make_posix_storage());
  FakeWorkers workers(3, -1, disk, /*job_seconds=*/0.05);
  CoordinatorOptions opt = quiet_options();
  opt.ledger_failure_grace_s = 30;
  Coordinator c(workers, experiment(dir), disk, opt);
  std::thread outage = fill_the_disk_after_the_first_job(workers, *disk, /*full_for_s=*/0.15);
  EXPECT_EQ(c.run(), 0);
  outage.join();
  const auto records = ledger_records(dir);
  EXPECT_EQ(count_events(records, "done"), 4);
  EXPECT_EQ(count_events(records, "assigned"), 4);
  EXPECT_EQ(count_events(records, "session_ended"), 1);
  for (const auto& [job, n] : workers.trained) EXPECT_EQ(n, 1) << job;
}

// A finished job whose done record the ledger lost is adopted from its metrics.json, never
// trained again; a damaged or foreign metrics.json (wrong types included) is not trusted and
// never crashes rank 0.
TEST(CoordinatorTest, FinishedJobsMissingFromTheLedgerAreAdoptedAndDamagedMetricsAreNot) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  std::filesystem::create_directories(dir / "run/jobs/X/seed_1");
  std::filesystem::create_directories(dir / "run/jobs/X/seed_2");
  std::filesystem::create_directories(dir / "run/jobs/X/seed_3");
  test::write_file(dir / "run/jobs/X/seed_1/metrics.json", R"({"dataset": 5, "seed": "one", "run": 7})");
  test::write_file(dir / "run/jobs/X/seed_2/metrics.json",
                   R"({"dataset": "X", "seed": 2, "test_rmse": 9.5, "epochs_run": 3, "run": {"attempt": 2}})");
  test::write_file(dir / "run/jobs/X/seed_3/metrics.json", R"({"dataset": "X", "seed": 4})");  // another job's
  FakeWorkers workers(3, -1, storage);
  CoordinatorOptions opt = quiet_options();
  Coordinator c(workers, experiment(dir), storage, opt);
  EXPECT_EQ(c.run(), 0);
  std::set<std::string> trained;
  for (const auto& a : workers.assigned) trained.insert(a.job);
  EXPECT_EQ(trained, (std::set<std::string>{"X-s1", "X-s3", "X-s4"}));
  const auto records = ledger_records(dir);
  int adopted = 0;
  for (const json& r : records)
    if (r["event"] == "done" && r.contains("recovered")) {
      ++adopted;
      EXPECT_EQ(r["job"], "X-s2");
      EXPECT_EQ(r["metrics"]["test_rmse"], 9.5);
    }
  EXPECT_EQ(adopted, 1);
  EXPECT_EQ(count_events(records, "done"), 4);
}

// Regression: json::value("attempt", 0) threw type_error on `"attempt": "x"` out of the
// coordinator's receive loop, so one malformed message from any rank killed rank 0. Each is now
// logged and ignored: the run completes every job once, and no worker is taken for left or dead.
TEST(CoordinatorTest, MalformedWorkerMessagesAreIgnoredAndTheRunCompletes) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  FakeWorkers workers(3, -1, storage, /*job_seconds=*/0.05);
  workers.hostile = true;
  CoordinatorOptions opt = quiet_options();
  Coordinator c(workers, experiment(dir), storage, opt);
  EXPECT_EQ(c.run(), 0);
  EXPECT_GT(workers.malformed_sent, 0);
  EXPECT_EQ(workers.trained.size(), 4u);
  for (const auto& [job, n] : workers.trained) EXPECT_EQ(n, 1) << job;
  const auto records = ledger_records(dir);
  EXPECT_EQ(count_events(records, "done"), 4);
  EXPECT_EQ(count_events(records, "assigned"), 4);
  EXPECT_EQ(count_events(records, "worker_left"), 0);
  EXPECT_EQ(count_events(records, "worker_dead"), 0);
  for (const json& r : records)
    if (r["event"] == "done") {
      EXPECT_EQ(r["attempt"], 1) << r.dump();
    }
  EXPECT_EQ(json::parse(test::read_file(dir / "run/outcome.json"))["outcome"], "complete");
}

// A run dir entry planted as a symbolic link to elsewhere is never written through.
TEST(CoordinatorTest, ARunDirWhoseEntriesLinkOutsideIsRefusedAndNothingIsWrittenThere) {
  test::TempDir dir, elsewhere;
  std::filesystem::create_directories(dir / "run");
  std::filesystem::create_symlink(elsewhere.path(), dir / "run/jobs");
  auto storage = make_posix_storage();
  FakeWorkers workers(3, -1, storage);
  Coordinator c(workers, experiment(dir), storage);
  EXPECT_EQ(c.run(), 2);
  EXPECT_TRUE(workers.assigned.empty());
  EXPECT_TRUE(std::filesystem::is_empty(elsewhere.path()));
  const json outcome = json::parse(test::read_file(dir / "run/outcome.json"));
  EXPECT_EQ(outcome["outcome"], "refused");
  EXPECT_NE(outcome["reason"].get<std::string>().find("jobs"), std::string::npos) << outcome.dump();
}

}  // namespace
}  // namespace amnl::orch
