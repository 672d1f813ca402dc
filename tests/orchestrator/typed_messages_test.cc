// START and ASSIGN as typed structs: what encode writes, decode reads back; a malformed or
// wrong-typed body decodes to nullopt instead of throwing.
#include <gtest/gtest.h>

#include "orchestrator/messages.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

TEST(TypedMessageTest, StartRoundTripsWithTheSameFieldNames) {
  const StartMsg m{"/run", 0.5, 30.0, 12.0};
  const json j = m.encode();
  EXPECT_EQ(j, json({{"run_dir", "/run"}, {"heartbeat_interval_s", 0.5}, {"coordinator_timeout_s", 30.0},
                     {"stop_grace_s", 12.0}}));
  const auto back = StartMsg::decode(*decode_body(encode_body(j)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->run_dir, "/run");
  EXPECT_EQ(back->heartbeat_interval_s, 0.5);
  EXPECT_EQ(back->coordinator_timeout_s, 30.0);
  EXPECT_EQ(back->stop_grace_s, 12.0);
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
  EXPECT_EQ(s->coordinator_timeout_s, 60.0);
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

}  // namespace
}  // namespace amnl::orch
