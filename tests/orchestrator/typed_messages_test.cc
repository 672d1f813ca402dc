// Every message kind as a typed struct: what encode writes (the field names on the wire), decode
// reads back; a missing field reads as its default, a wrong-typed one (or a non-object body)
// decodes to nullopt instead of throwing, and unknown extra fields are ignored.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "orchestrator/protocol/messages.h"
#include "orchestrator/policy/scheduler.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

TEST(TypedMessageTest, StartRoundTripsWithTheSameFieldNames) {
  const StartMsg m{"/run", 0.5, 30.0, 12.0, "sess"};
  const json j = m.encode();
  EXPECT_EQ(j, json({{"run_dir", "/run"}, {"heartbeat_interval_s", 0.5}, {"coordinator_timeout_s", 30.0},
                     {"stop_grace_s", 12.0}, {"session", "sess"}}));
  const auto back = StartMsg::decode(*decode_body(encode_body(j)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->run_dir, "/run");
  EXPECT_EQ(back->heartbeat_interval_s, 0.5);
  EXPECT_EQ(back->coordinator_timeout_s, 30.0);
  EXPECT_EQ(back->stop_grace_s, 12.0);
  EXPECT_EQ(back->session, "sess");
}

TEST(TypedMessageTest, AssignRoundTripsWithTheSameFieldNames) {
  AssignMsg m;
  m.job = "FD001-s42";
  m.dataset = "FD001";
  m.seed = 42;
  m.data_dir = "/d";
  m.job_dir = "/j";
  m.attempt = 3;
  m.session = "S";
  m.recipe = {{"epochs", 5}};
  m.threads = 2;
  const json j = m.encode();
  for (const char* k : {"job", "dataset", "seed", "data_dir", "job_dir", "attempt", "session", "recipe", "threads"})
    EXPECT_TRUE(j.contains(k)) << k;
  const auto back = AssignMsg::decode(j);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->encode(), j);
}

TEST(TypedMessageTest, MissingFieldsReadAsDefaults) {
  const auto s = StartMsg::decode(json::object());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->heartbeat_interval_s, 1.0);
  EXPECT_EQ(s->coordinator_timeout_s, 120.0);
  EXPECT_EQ(s->session, "");
  const auto shutdown = ShutdownMsg::decode(json::object());
  ASSERT_TRUE(shutdown);
  EXPECT_TRUE(shutdown->finalize);  // an older coordinator's empty SHUTDOWN: finalize as before
  EXPECT_FALSE(s->stop_grace_s);
  const auto a = AssignMsg::decode(json::object());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->attempt, 1);
  EXPECT_EQ(a->seed, 0);
}

TEST(TypedMessageTest, WrongTypesAndNonObjectsDecodeToNullopt) {
  EXPECT_FALSE(StartMsg::decode(json::array()));
  EXPECT_FALSE(StartMsg::decode({{"heartbeat_interval_s", "fast"}}));
  EXPECT_FALSE(StartMsg::decode({{"run_dir", 7}}));
  EXPECT_FALSE(AssignMsg::decode("text"));
  EXPECT_FALSE(AssignMsg::decode({{"attempt", "2"}}));
  EXPECT_FALSE(AssignMsg::decode({{"seed", 1.5}}));
  EXPECT_FALSE(AssignMsg::decode({{"job", json::array()}}));
}

// decode(encode(m)) gives back m, through the bytes on the wire as well.
template <typename M>
void expect_round_trip(const M& m) {
  const json j = m.encode();
  const auto back = M::decode(j);
  ASSERT_TRUE(back) << j.dump();
  EXPECT_EQ(back->encode(), j);
  const auto wire = M::decode(*decode_body(encode_body(j)));
  ASSERT_TRUE(wire) << j.dump();
  EXPECT_EQ(wire->encode(), j);
}

// Every decoder: a non-object body, and each of `fields` given a value of the wrong type, decode
// to nullopt without throwing; unknown extra fields are ignored.
template <typename M>
void expect_refuses_wrong_types(const json& good, const std::vector<std::pair<const char*, json>>& bad) {
  for (const json& not_object : {json::array(), json("text"), json(3), json(nullptr)}) {
    std::optional<M> m;
    ASSERT_NO_THROW(m = M::decode(not_object)) << not_object.dump();
    EXPECT_FALSE(m) << not_object.dump();
  }
  for (const auto& [key, value] : bad) {
    json body = good;
    body[key] = value;
    std::optional<M> m;
    ASSERT_NO_THROW(m = M::decode(body)) << body.dump();
    EXPECT_FALSE(m) << body.dump();
  }
  json extra = good;
  extra["some_future_field"] = {{"x", 1}};
  const auto m = M::decode(extra);
  ASSERT_TRUE(m) << extra.dump();
  EXPECT_EQ(m->encode(), M::decode(good)->encode());
}

const json kNotString = 5, kNotInt = "7", kFraction = 1.5, kHuge = 1e300, kNotObject = json::array({1});
const json kBeyondInt = int64_t{1} << 40;

TEST(TypedMessageTest, HelloRoundTripsAndRefusesWrongTypes) {
  const HelloMsg m{4242, "node7"};
  EXPECT_EQ(m.encode(), json({{"pid", 4242}, {"host", "node7"}}));
  expect_round_trip(m);
  expect_refuses_wrong_types<HelloMsg>(m.encode(), {{"pid", kNotInt}, {"pid", kFraction}, {"pid", kHuge},
                                                    {"host", kNotString}, {"host", nullptr}});
  const auto empty = HelloMsg::decode(json::object());
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->pid, 0);
  EXPECT_EQ(empty->host, "");
}

TEST(TypedMessageTest, EmptyBodiesRoundTripAndAcceptAnyObject) {
  EXPECT_EQ(ReadyMsg{}.encode(), json::object());
  EXPECT_EQ(PingMsg{}.encode(), json::object());
  EXPECT_EQ(ShutdownMsg{}.encode(), json({{"finalize", true}}));
  EXPECT_EQ(ShutdownMsg{false}.encode(), json({{"finalize", false}}));
  expect_round_trip(ReadyMsg{});
  expect_round_trip(PingMsg{});
  expect_round_trip(ShutdownMsg{});
  expect_round_trip(ShutdownMsg{false});
  expect_refuses_wrong_types<ReadyMsg>(json::object(), {});
  expect_refuses_wrong_types<PingMsg>(json::object(), {});
  expect_refuses_wrong_types<ShutdownMsg>(json({{"finalize", false}}), {{"finalize", "no"}, {"finalize", 0}});
}

TEST(TypedMessageTest, ReasonBodiesRoundTripAndRefuseWrongTypes) {
  EXPECT_EQ(AbortMsg{"bad experiment"}.encode(), json({{"reason", "bad experiment"}}));
  expect_round_trip(AbortMsg{"bad experiment"});
  expect_round_trip(StopMsg{"SIGUSR1"});
  expect_round_trip(ByeMsg{"signal 15"});
  const std::vector<std::pair<const char*, json>> bad{{"reason", kNotString}, {"reason", kNotObject},
                                                      {"reason", nullptr}};
  expect_refuses_wrong_types<AbortMsg>(AbortMsg{"x"}.encode(), bad);
  expect_refuses_wrong_types<StopMsg>(StopMsg{"x"}.encode(), bad);
  expect_refuses_wrong_types<ByeMsg>(ByeMsg{"x"}.encode(), bad);
  // Missing: "" for ABORT and STOP, "left" for BYE (what the coordinator journals).
  EXPECT_EQ(AbortMsg::decode(json::object())->reason, "");
  EXPECT_EQ(StopMsg::decode(json::object())->reason, "");
  EXPECT_EQ(ByeMsg::decode(json::object())->reason, "left");
}

TEST(TypedMessageTest, HeartbeatRoundTripsAndRefusesWrongTypes) {
  const HeartbeatMsg m{"FD001-s1", 3, int64_t{1} << 40};
  EXPECT_EQ(m.encode(), json({{"job", "FD001-s1"}, {"attempt", 3}, {"counter", int64_t{1} << 40}}));
  expect_round_trip(m);
  expect_refuses_wrong_types<HeartbeatMsg>(
      m.encode(), {{"job", kNotString}, {"job", nullptr}, {"attempt", "x"}, {"attempt", kFraction},
                   {"attempt", kBeyondInt}, {"attempt", kHuge}, {"counter", kFraction}, {"counter", kNotInt}});
  const auto idle = HeartbeatMsg::decode(json::object());  // what an idle worker means
  ASSERT_TRUE(idle);
  EXPECT_EQ(idle->job, "");
  EXPECT_EQ(idle->attempt, 0);
  EXPECT_EQ(idle->counter, -1);
}

TEST(TypedMessageTest, ProgressRoundTripsAndRefusesWrongTypes) {
  JobProgress p;
  p.epoch = 4;
  p.max_epochs = 30;
  p.early_stop_epoch = 19;
  p.val_rmse = 13.5;
  p.best_val_rmse = 12.25;
  p.val_all_windows_rmse = 16.75;  // the second validation curve (issue 26)
  p.epoch_seconds = 2.5;
  p.batches_done = 4000;
  p.checkpoint = "/run/jobs/FD001/seed_1/ckpt";
  const ProgressMsg m = ProgressMsg::of("FD001-s1", 2, p);
  const json j = m.encode();
  for (const char* k : {"job", "attempt", "epoch", "max_epochs", "early_stop_epoch", "val_rmse", "best_val_rmse",
                        "epoch_seconds", "batches_done", "checkpoint", "val_all_windows_rmse"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j.size(), 11u);
  expect_round_trip(m);
  const auto back = ProgressMsg::decode(j);
  EXPECT_EQ(back->progress.early_stop_epoch, 19);
  EXPECT_EQ(back->progress.best_val_rmse, 12.25);
  EXPECT_EQ(back->progress.val_all_windows_rmse, 16.75);
  EXPECT_EQ(back->progress.batches_done, 4000);
  expect_refuses_wrong_types<ProgressMsg>(
      j, {{"job", kNotString}, {"attempt", "x"}, {"attempt", kBeyondInt}, {"epoch", kNotInt}, {"epoch", kFraction},
          {"max_epochs", kHuge}, {"early_stop_epoch", kFraction}, {"early_stop_epoch", "19"}, {"val_rmse", "x"}, {"best_val_rmse", kNotObject}, {"epoch_seconds", true},
          {"batches_done", kFraction}, {"batches_done", json(std::numeric_limits<uint64_t>::max())},
          {"checkpoint", false}, {"val_all_windows_rmse", "x"}});
}

// Regression: an unmeasured RMSE (selection on the test set, no best epoch yet) travels as null
// and used to come back as 0.0, which the ledger and `amnl status` then showed as a perfect score.
TEST(TypedMessageTest, AnUnmeasuredRmseStaysUnmeasuredThroughTheWireAndTheLedger) {
  JobProgress p;  // a worker that has no measurement yet leaves both RMSEs unset
  p.epoch = 1;
  p.val_rmse = std::numeric_limits<double>::quiet_NaN();
  const json wire = *decode_body(encode_body(ProgressMsg::of("FD001-s1", 1, p).encode()));
  EXPECT_TRUE(wire["val_rmse"].is_null());
  EXPECT_TRUE(wire["best_val_rmse"].is_null());
  const auto back = ProgressMsg::decode(wire);
  ASSERT_TRUE(back);
  EXPECT_TRUE(std::isnan(back->progress.val_rmse));
  EXPECT_TRUE(std::isnan(back->progress.best_val_rmse));

  std::vector<json> records;
  Scheduler s({JobSpec{JobKey{"FD001", 1}, 1.0}}, SchedulerConfig{5, 20, 3},
              [&](const json& r) { records.push_back(json::parse(r.dump())); });  // as the ledger stores it
  s.add_worker(1, 0);
  s.on_ready(1, 0);
  ASSERT_EQ(s.dispatch(0).size(), 1u);
  ASSERT_TRUE(s.on_progress(1, "FD001-s1", 1, back->progress, 1));
  ASSERT_EQ(records.back()["event"], "progress");
  EXPECT_TRUE(records.back()["val_rmse"].is_null()) << records.back().dump();
  EXPECT_TRUE(records.back()["best_val_rmse"].is_null()) << records.back().dump();
}

TEST(TypedMessageTest, ResultRoundTripsAndRefusesWrongTypes) {
  JobResult r;
  r.end = JobEnd::kDone;
  r.metrics = {{"test_rmse", 12.25}};
  r.epochs_run = 8;
  r.resumed_from_epoch = 4;
  r.final_model = "/m.pt";
  const ResultMsg m = ResultMsg::of("FD001-s1", 2, r);
  const json j = m.encode();
  EXPECT_EQ(j, json({{"job", "FD001-s1"}, {"attempt", 2}, {"end", "done"}, {"reason", ""},
                     {"metrics", {{"test_rmse", 12.25}}}, {"epochs_run", 8}, {"resumed_from_epoch", 4},
                     {"final_model", "/m.pt"}}));
  expect_round_trip(m);
  for (JobEnd e : {JobEnd::kDone, JobEnd::kFailed, JobEnd::kPreempted, JobEnd::kFenced, JobEnd::kStorageFailed}) {
    r.end = e;
    expect_round_trip(ResultMsg::of("FD001-s1", 2, r));
  }
  expect_refuses_wrong_types<ResultMsg>(
      j, {{"job", kNotString}, {"attempt", "x"}, {"attempt", kHuge}, {"end", 5}, {"end", nullptr},
          {"reason", kNotObject}, {"metrics", 3}, {"metrics", kNotObject}, {"epochs_run", "ten"},
          {"resumed_from_epoch", json::object()}, {"final_model", 7}});
}

TEST(TypedMessageTest, AResultWithoutAKnownEndIsAFailure) {
  const auto missing = ResultMsg::decode({{"job", "FD001-s1"}, {"attempt", 1}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->result.end, JobEnd::kFailed);
  EXPECT_NE(missing->result.reason.find("(none)"), std::string::npos) << missing->result.reason;
  EXPECT_EQ(missing->result.metrics, json::object());
  const auto unknown = ResultMsg::decode({{"end", "sure"}, {"reason", "trust me"}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->result.end, JobEnd::kFailed);
  EXPECT_NE(unknown->result.reason.find("sure"), std::string::npos) << unknown->result.reason;
  EXPECT_NE(unknown->result.reason.find("trust me"), std::string::npos) << unknown->result.reason;
}

TEST(TypedMessageTest, StartAndAssignRefuseWrongTypesFieldByField) {
  const StartMsg start{"/run", 0.5, 30.0, 12.0, ""};
  expect_round_trip(start);
  expect_round_trip(StartMsg{"/run", 0.5, 30.0, std::nullopt, ""});
  expect_refuses_wrong_types<StartMsg>(start.encode(), {{"run_dir", kNotString}, {"heartbeat_interval_s", "fast"},
                                                        {"coordinator_timeout_s", nullptr}, {"stop_grace_s", true}});
  AssignMsg assign;
  assign.job = "FD001-s42";
  assign.seed = 42;
  expect_round_trip(assign);
  expect_refuses_wrong_types<AssignMsg>(
      assign.encode(), {{"job", kNotString}, {"dataset", nullptr}, {"seed", kFraction}, {"seed", kHuge},
                        {"data_dir", 1}, {"job_dir", kNotObject}, {"attempt", "2"}, {"attempt", kBeyondInt},
                        {"session", false}, {"threads", kNotInt}});
}

// The kind each struct sends under is its own (send_msg and WorkerAgent::send use it as the tag).
template <typename... Msgs>
constexpr bool each_names(std::initializer_list<MsgKind> kinds) {
  const MsgKind own[] = {Msgs::kKind...};
  size_t i = 0;
  for (MsgKind k : kinds)
    if (i >= sizeof...(Msgs) || own[i++] != k) return false;
  return i == sizeof...(Msgs);
}
TEST(TypedMessageTest, EachStructNamesItsKind) {
  static_assert(each_names<HelloMsg, ReadyMsg, HeartbeatMsg, ProgressMsg, ResultMsg, ByeMsg, StartMsg, AbortMsg,
                           AssignMsg, PingMsg, StopMsg, ShutdownMsg>(
      {MsgKind::kHello, MsgKind::kReady, MsgKind::kHeartbeat, MsgKind::kProgress, MsgKind::kResult, MsgKind::kBye,
       MsgKind::kStart, MsgKind::kAbort, MsgKind::kAssign, MsgKind::kPing, MsgKind::kStop, MsgKind::kShutdown}));
}

}  // namespace
}  // namespace amnl::orch
