// Every rule of a worker rank, on a fake clock: the WorkerAgent gets events and `now`, and the
// tests read the actions it returns (no MPI, no threads, no sleeping).
#include <gtest/gtest.h>

#include "orchestrator/policy/clock.h"
#include "orchestrator/policy/worker_agent.h"

namespace amnl::orch {
namespace {

using nlohmann::json;
using Type = WorkerAction::Type;
using Actions = std::vector<WorkerAction>;

Message from_coordinator(MsgKind kind, json body = json::object()) { return Message{kind, 0, std::move(body)}; }

json start_body() {
  return {{"run_dir", "/tmp/run"}, {"heartbeat_interval_s", 2.0}, {"coordinator_timeout_s", 30.0}, {"stop_grace_s", 5.0}};
}

json assign_body(const std::string& job = "X-s1") {
  return {{"job", job},         {"dataset", "X"}, {"seed", 1},         {"data_dir", "/d"},
          {"job_dir", "/j"},    {"attempt", 2},   {"recipe", json::object()}, {"threads", 1}, {"session", "S"}};
}

int count(const Actions& a, Type t) {
  int n = 0;
  for (const auto& x : a) n += x.type == t;
  return n;
}
int count_sent(const Actions& a, MsgKind k) {
  int n = 0;
  for (const auto& x : a) n += x.type == Type::kSend && x.kind == k;
  return n;
}
const WorkerAction* find_sent(const Actions& a, MsgKind k) {
  for (const auto& x : a)
    if (x.type == Type::kSend && x.kind == k) return &x;
  return nullptr;
}
std::optional<WorkerExit> exit_of(const Actions& a) {
  for (const auto& x : a)
    if (x.type == Type::kExit) return x.exit;
  return std::nullopt;
}

JobSnapshot finished(JobEnd end) {
  JobSnapshot s;
  s.result = JobResult{};
  s.result->end = end;
  return s;
}

// A worker that has been started (and, optionally, given a job) at the clock's time.
struct Fixture {
  FakeClock clock;
  WorkerOptions opt;
  WorkerAgent agent{WorkerIdentity{1, 4242, "host"}, opt, clock.now()};
  Actions start() { return agent.on_message(from_coordinator(MsgKind::kStart, start_body()), clock.now()); }
  Actions assign() { return agent.on_message(from_coordinator(MsgKind::kAssign, assign_body()), clock.now()); }
  Actions tick(JobSnapshot s = {}) { return agent.tick(clock.now(), std::move(s)); }
};

TEST(WorkerAgentTest, HelloCarriesPidAndHost) {
  Fixture f;
  const Actions a = f.agent.hello();
  ASSERT_EQ(count_sent(a, MsgKind::kHello), 1);
  EXPECT_EQ(a[0].body["pid"], 4242);
  EXPECT_EQ(a[0].body["host"], "host");
}

TEST(WorkerAgentTest, StartOpensTheLogAndAsksForWork) {
  Fixture f;
  const Actions a = f.start();
  ASSERT_EQ(count(a, Type::kOpenLog), 1);
  EXPECT_EQ(a[0].run_dir, "/tmp/run");
  EXPECT_EQ(count_sent(a, MsgKind::kReady), 1);
}

TEST(WorkerAgentTest, AssignStartsTheJobWithEveryField) {
  Fixture f;
  f.start();
  const Actions a = f.assign();
  ASSERT_EQ(count(a, Type::kStartJob), 1);
  const WorkerAction& s = a[0];
  EXPECT_EQ(s.job, "X-s1");
  EXPECT_EQ(s.session, "S");
  EXPECT_EQ(s.request.dataset, "X");
  EXPECT_EQ(s.request.seed, 1);
  EXPECT_EQ(s.request.job_dir, "/j");
  EXPECT_EQ(s.request.attempt, 2);
  EXPECT_EQ(s.request.threads, 1);
  EXPECT_TRUE(s.request.resume);
  EXPECT_TRUE(f.agent.has_job());
}

TEST(WorkerAgentTest, ASecondAssignWhileBusyIsRefusedAsFailed) {
  Fixture f;
  f.start();
  f.assign();
  const Actions a = f.agent.on_message(from_coordinator(MsgKind::kAssign, assign_body("Y-s2")), f.clock.now());
  EXPECT_EQ(count(a, Type::kStartJob), 0);
  const WorkerAction* r = find_sent(a, MsgKind::kResult);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->body["job"], "Y-s2");
  EXPECT_EQ(r->body["end"], "failed");
  EXPECT_EQ(r->body["reason"], "worker busy");
}

TEST(WorkerAgentTest, TheWatchdogFiresExactlyAfterTheCoordinatorTimeout) {
  Fixture f;
  f.start();                 // coordinator timeout 30 s
  f.clock.advance(30.0);     // exactly the timeout: not yet
  EXPECT_FALSE(exit_of(f.tick()));
  f.clock.advance(0.01);
  EXPECT_EQ(exit_of(f.tick()), WorkerExit::kCoordinatorLost);
}

TEST(WorkerAgentTest, APingKeepsTheWatchdogQuiet) {
  Fixture f;
  f.start();
  f.clock.advance(20);
  f.agent.on_message(from_coordinator(MsgKind::kPing), f.clock.now());
  f.clock.advance(20);  // 40 s since START, 20 since the ping
  EXPECT_FALSE(exit_of(f.tick()));
  f.agent.on_message(Message{MsgKind::kPing, 2, json::object()}, f.clock.now());  // not rank 0: ignored
  f.clock.advance(10.5);
  EXPECT_EQ(exit_of(f.tick()), WorkerExit::kCoordinatorLost);
}

TEST(WorkerAgentTest, ALostCoordinatorStopsTheJobAndWaitsForItWithinTheGrace) {
  Fixture f;
  f.start();  // stop grace 5 s
  f.assign();
  f.clock.advance(31);
  const Actions a = f.tick();
  EXPECT_EQ(count(a, Type::kStopJob), 1);
  EXPECT_FALSE(exit_of(a));
  f.clock.advance(1);
  const Actions done = f.tick(finished(JobEnd::kPreempted));
  EXPECT_EQ(exit_of(done), WorkerExit::kCoordinatorLost);
  EXPECT_EQ(count(done, Type::kAbandonJob), 0);
}

// Regression (issue 23): a worker that left because rank 0 went silent was recorded as a crash
// (worker_dead + attempt_failed) when rank 0 had only been paused. It now says so: the stopped
// job's result, a BYE with the reason and a departure note on the shared storage (for a rank 0
// that never reads the BYE), all before it exits; and it asks for no more work.
TEST(WorkerAgentTest, AWorkerThatGivesUpOnTheCoordinatorReportsItsJobAndLeavesANote) {
  Fixture f;
  f.agent.on_message(from_coordinator(MsgKind::kStart, [] {
                       json b = start_body();
                       b["session"] = "sess-1";
                       return b;
                     }()),
                     f.clock.now());
  f.assign();
  f.clock.advance(31);
  f.tick();  // watchdog: stop requested
  const Actions done = f.tick(finished(JobEnd::kPreempted));
  const WorkerAction* result = find_sent(done, MsgKind::kResult);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->body["job"], "X-s1");
  EXPECT_EQ(result->body["end"], "preempted");
  const WorkerAction* bye = find_sent(done, MsgKind::kBye);
  ASSERT_NE(bye, nullptr);
  EXPECT_NE(bye->body["reason"].get<std::string>().find("no message from the coordinator"), std::string::npos);
  EXPECT_EQ(count_sent(done, MsgKind::kReady), 0);
  ASSERT_EQ(count(done, Type::kNoteDeparture), 1);
  for (const auto& a : done) {
    if (a.type != Type::kNoteDeparture) continue;
    EXPECT_EQ(a.run_dir, "/tmp/run");
    EXPECT_EQ(a.body["session"], "sess-1");
    EXPECT_EQ(a.body["pid"], 4242);
    EXPECT_EQ(a.body["job"], "X-s1");
    EXPECT_EQ(a.body["attempt"], 2);
  }
  EXPECT_EQ(exit_of(done), WorkerExit::kCoordinatorLost);
}

// SHUTDOWN after a session that lost a rank: MPI_Finalize would wait for the lost rank, so the
// worker exits without it, and says goodbye first (rank 0 waits for that before ending the job).
TEST(WorkerAgentTest, AShutdownWithoutFinalizeSaysGoodbyeAndExitsEnded) {
  Fixture f;
  f.start();
  const Actions a = f.agent.on_message(from_coordinator(MsgKind::kShutdown, {{"finalize", false}}), f.clock.now());
  EXPECT_EQ(count_sent(a, MsgKind::kBye), 1);
  EXPECT_EQ(exit_of(a), WorkerExit::kEnded);
  Fixture g;
  g.start();
  const Actions b = g.agent.on_message(from_coordinator(MsgKind::kShutdown), g.clock.now());
  EXPECT_EQ(count_sent(b, MsgKind::kBye), 0);
  EXPECT_EQ(exit_of(b), WorkerExit::kShutdown);
}

TEST(WorkerAgentTest, ATrainerThatIgnoresStopIsAbandonedAfterTheGrace) {
  Fixture f;
  f.start();  // stop grace 5 s
  f.assign();
  f.clock.advance(31);
  f.tick();  // watchdog: stop requested
  f.clock.advance(4.9);
  EXPECT_FALSE(exit_of(f.tick()));
  f.clock.advance(0.1);
  const Actions a = f.tick();
  EXPECT_EQ(count(a, Type::kAbandonJob), 1);
  EXPECT_EQ(exit_of(a), WorkerExit::kCoordinatorLost);
  EXPECT_TRUE(f.tick().empty());  // exited: nothing more
}

TEST(WorkerAgentTest, ShutdownMidJobStopsReportsAndExits) {
  Fixture f;
  f.start();
  f.assign();
  Actions a = f.agent.on_message(from_coordinator(MsgKind::kShutdown), f.clock.now());
  EXPECT_EQ(count(a, Type::kStopJob), 1);
  EXPECT_FALSE(exit_of(a));
  // Messages while waiting for the job are not acted on.
  EXPECT_TRUE(f.agent.on_message(from_coordinator(MsgKind::kAssign, assign_body("Y-s2")), f.clock.now()).empty());
  f.clock.advance(1);
  JobSnapshot s = finished(JobEnd::kPreempted);
  s.progress.push_back(JobProgress{});
  a = f.tick(std::move(s));
  EXPECT_EQ(count_sent(a, MsgKind::kProgress), 1);
  const WorkerAction* r = find_sent(a, MsgKind::kResult);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->body["end"], "preempted");
  EXPECT_EQ(r->body["job"], "X-s1");
  EXPECT_EQ(exit_of(a), WorkerExit::kShutdown);
}

TEST(WorkerAgentTest, ShutdownWithAHungTrainerExitsAfterTheGrace) {
  Fixture f;
  f.start();
  f.assign();
  f.agent.on_message(from_coordinator(MsgKind::kShutdown), f.clock.now());
  f.clock.advance(5);
  const Actions a = f.tick();
  EXPECT_EQ(count(a, Type::kAbandonJob), 1);
  EXPECT_EQ(count_sent(a, MsgKind::kResult), 0);
  EXPECT_EQ(exit_of(a), WorkerExit::kShutdown);
}

TEST(WorkerAgentTest, ShutdownWithoutAJobExitsAtOnce) {
  Fixture f;
  f.start();
  EXPECT_EQ(exit_of(f.agent.on_message(from_coordinator(MsgKind::kShutdown), f.clock.now())), WorkerExit::kShutdown);
}

TEST(WorkerAgentTest, HeartbeatsComeOncePerIntervalWithTheBatchCounter) {
  Fixture f;
  f.start();  // heartbeat every 2 s
  f.assign();
  JobSnapshot s;
  s.counter = 17;
  Actions a = f.tick(s);
  const WorkerAction* hb = find_sent(a, MsgKind::kHeartbeat);
  ASSERT_NE(hb, nullptr);
  EXPECT_EQ(hb->body["job"], "X-s1");
  EXPECT_EQ(hb->body["attempt"], 2);
  EXPECT_EQ(hb->body["counter"], 17);
  EXPECT_EQ(count_sent(a, MsgKind::kReady), 0);  // busy: no READY
  f.clock.advance(1.9);
  EXPECT_EQ(count_sent(f.tick(s), MsgKind::kHeartbeat), 0);
  f.clock.advance(0.1);
  s.counter = 30;
  a = f.tick(s);
  ASSERT_EQ(count_sent(a, MsgKind::kHeartbeat), 1);
  EXPECT_EQ(find_sent(a, MsgKind::kHeartbeat)->body["counter"], 30);
}

TEST(WorkerAgentTest, AnIdleHeartbeatCarriesNoJobAndAsksForWork) {
  Fixture f;
  f.start();
  const Actions a = f.tick();
  const WorkerAction* hb = find_sent(a, MsgKind::kHeartbeat);
  ASSERT_NE(hb, nullptr);
  EXPECT_EQ(hb->body["job"], "");
  EXPECT_EQ(hb->body["counter"], -1);
  EXPECT_EQ(count_sent(a, MsgKind::kReady), 1);
}

TEST(WorkerAgentTest, NoHeartbeatBeforeStart) {
  Fixture f;
  f.clock.advance(100);
  EXPECT_EQ(count_sent(f.tick(), MsgKind::kHeartbeat), 0);
}

TEST(WorkerAgentTest, NoStartWithinTheStartupTimeoutExits) {
  Fixture f;  // startup timeout 300 s (default)
  f.clock.advance(300);
  EXPECT_FALSE(exit_of(f.tick()));
  f.clock.advance(0.5);
  EXPECT_EQ(exit_of(f.tick()), WorkerExit::kCoordinatorLost);
}

TEST(WorkerAgentTest, AbortExits) {
  Fixture f;
  EXPECT_EQ(exit_of(f.agent.on_message(from_coordinator(MsgKind::kAbort, {{"reason", "bad"}}), f.clock.now())),
            WorkerExit::kAborted);
}

// Regression: json::value("reason", "") threw type_error on a mistyped reason. A message from
// the coordinator that does not decode is logged and ignored, like a malformed START or ASSIGN.
TEST(WorkerAgentTest, MalformedMessagesFromTheCoordinatorAreIgnored) {
  Fixture f;
  f.start();
  f.assign();
  for (MsgKind k : {MsgKind::kAbort, MsgKind::kStop}) {
    Actions a;
    ASSERT_NO_THROW(a = f.agent.on_message(from_coordinator(k, {{"reason", 5}}), f.clock.now())) << to_string(k);
    EXPECT_TRUE(a.empty()) << to_string(k);
  }
  for (MsgKind k : {MsgKind::kPing, MsgKind::kShutdown}) {
    Actions a;
    ASSERT_NO_THROW(a = f.agent.on_message(from_coordinator(k, json::array()), f.clock.now())) << to_string(k);
    EXPECT_TRUE(a.empty()) << to_string(k);
  }
  EXPECT_TRUE(f.agent.has_job());
  EXPECT_FALSE(f.agent.exited());
}

TEST(WorkerAgentTest, ATermSignalBeforeTheFirstJobLeavesWithBye) {
  Fixture f;
  f.start();
  EXPECT_EQ(count(f.agent.on_term_signal(15), Type::kStopAll), 1);
  const Actions a = f.tick();
  const WorkerAction* bye = find_sent(a, MsgKind::kBye);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->body["reason"], "signal 15");
  EXPECT_EQ(exit_of(a), WorkerExit::kLeft);
  EXPECT_EQ(count_sent(a, MsgKind::kHeartbeat), 0);
}

TEST(WorkerAgentTest, APreemptSignalBeforeTheFirstJobChangesNothing) {
  Fixture f;
  f.start();
  EXPECT_TRUE(f.agent.on_preempt_signal(10).empty());
  const Actions a = f.tick();
  EXPECT_FALSE(exit_of(a));
  EXPECT_EQ(count_sent(a, MsgKind::kReady), 1);
}

TEST(WorkerAgentTest, APreemptSignalStopsTheJobAndTheWorkerStays) {
  Fixture f;
  f.start();
  f.assign();
  f.tick();  // the first heartbeat (a READY of its own when idle) is out of the way
  EXPECT_EQ(count(f.agent.on_preempt_signal(10), Type::kStopJob), 1);
  const Actions a = f.tick(finished(JobEnd::kPreempted));
  EXPECT_EQ(find_sent(a, MsgKind::kResult)->body["end"], "preempted");
  EXPECT_EQ(count_sent(a, MsgKind::kReady), 1);  // not sticky: asks for more work
  EXPECT_FALSE(exit_of(a));
  EXPECT_EQ(count(f.assign(), Type::kStartJob), 1);
}

TEST(WorkerAgentTest, ATermSignalIsStickyReportsTheJobAndLeaves) {
  Fixture f;
  f.start();
  f.assign();
  EXPECT_EQ(count(f.agent.on_term_signal(15), Type::kStopAll), 1);
  EXPECT_FALSE(exit_of(f.tick()));  // the job has not stopped yet
  const Actions a = f.tick(finished(JobEnd::kPreempted));
  EXPECT_EQ(count_sent(a, MsgKind::kResult), 1);
  EXPECT_EQ(count_sent(a, MsgKind::kReady), 0);  // sticky: no more work
  EXPECT_EQ(count_sent(a, MsgKind::kBye), 1);
  EXPECT_EQ(exit_of(a), WorkerExit::kLeft);
}

TEST(WorkerAgentTest, AFinishedJobIsReportedWithItsProgressFirst) {
  Fixture f;
  f.start();
  f.assign();
  JobSnapshot s = finished(JobEnd::kDone);
  JobProgress p;
  p.epoch = 3;
  s.progress.push_back(p);
  const Actions a = f.tick(std::move(s));
  ASSERT_GE(a.size(), 3u);
  EXPECT_EQ(a[0].kind, MsgKind::kProgress);
  EXPECT_EQ(a[0].body["epoch"], 3);
  EXPECT_EQ(a[1].kind, MsgKind::kResult);
  EXPECT_EQ(a[1].body["end"], "done");
  EXPECT_EQ(a[2].kind, MsgKind::kReady);
  EXPECT_FALSE(f.agent.has_job());
}

}  // namespace
}  // namespace amnl::orch
