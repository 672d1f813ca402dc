#pragma once
// The Transport contract as one suite, run against every implementation (the way c10d's Store
// tests run against each store): the in-process LoopbackNetwork (transport_conformance_test.cc,
// one thread per rank) and MpiTransport (tests/transport_mpi/main.cc, one process per rank under
// real mpirun). Each case is a function every rank runs with its own endpoint; rank 0 leads and
// the workers answer. Cases end with a handshake, so no message of one case leaks into the next.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "orchestrator/protocol/transport.h"

namespace amnl::orch::conformance {

using nlohmann::json;

// The next message, polling (and progressing sends) for at most `seconds`.
inline std::optional<Message> receive(Transport& t, double seconds = 20) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    t.progress();
    if (auto m = t.poll()) return m;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return std::nullopt;
}

// Progresses until every send completed (or `seconds` passed); true when none is pending.
inline bool flush(Transport& t, double seconds = 20) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (t.pending_sends() > 0 && std::chrono::steady_clock::now() < until) {
    t.progress();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return t.pending_sends() == 0;
}

// The end of a case, once every rank did its part: rank 0 (whose part ends after it has read
// every message of the case) asks each worker to stop, each worker answers, and rank 0 lets them
// go on. Nothing a worker sends after its part can reach rank 0 before rank 0's part is over.
inline void end_of_case(Transport& t, const std::string& name) {
  if (t.rank() == 0) {
    for (int r = 1; r < t.size(); ++r) t.send(r, MsgKind::kStop, {{"case", name}});
    std::set<int> done;
    while (static_cast<int>(done.size()) < t.size() - 1) {
      auto m = receive(t);
      ASSERT_TRUE(m) << name << ": rank 0 heard nothing at the end of the case";
      ASSERT_EQ(m->kind, MsgKind::kBye) << name << ": unexpected " << m->body.dump();
      done.insert(m->peer);
    }
    for (int r = 1; r < t.size(); ++r) t.send(r, MsgKind::kShutdown, {{"case", name}});
  } else {
    for (MsgKind expected : {MsgKind::kStop, MsgKind::kShutdown}) {
      auto m = receive(t);
      ASSERT_TRUE(m) << name << ": rank " << t.rank() << " was not let go";
      ASSERT_EQ(m->kind, expected) << name << ": unexpected " << m->body.dump();
      if (expected == MsgKind::kStop) t.send(0, MsgKind::kBye, {{"case", name}});
    }
  }
  EXPECT_TRUE(flush(t)) << name << ": sends still pending at the end";
}

// Nothing sent: poll() returns at once with nothing. Rank 0 checks first, while the workers wait
// for its word; then each worker checks, while rank 0 waits for theirs.
inline void poll_is_empty_and_does_not_block(Transport& t) {
  auto expect_nothing = [&t] {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(t.poll().has_value()) << "rank " << t.rank();
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
  };
  if (t.rank() == 0) {
    expect_nothing();
    for (int r = 1; r < t.size(); ++r) t.send(r, MsgKind::kPing, json::object());
    for (int i = 1; i < t.size(); ++i) {
      auto m = receive(t);
      ASSERT_TRUE(m);
      EXPECT_EQ(m->kind, MsgKind::kHello);
    }
  } else {
    auto m = receive(t);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, MsgKind::kPing);
    expect_nothing();
    t.send(0, MsgKind::kHello, json::object());
  }
  end_of_case(t, "poll_is_empty");
}

// Ranks are 0..size-1, each once, and a message names its true source.
inline void ranks_are_distinct_and_sources_true(Transport& t) {
  ASSERT_GE(t.size(), 2);
  if (t.rank() == 0) {
    std::set<int> seen;
    for (int i = 1; i < t.size(); ++i) {
      auto m = receive(t);
      ASSERT_TRUE(m);
      EXPECT_EQ(m->kind, MsgKind::kHello);
      EXPECT_EQ(m->body["from"], m->peer) << "the message's source is not its sender";
      seen.insert(m->peer);
    }
    EXPECT_EQ(static_cast<int>(seen.size()), t.size() - 1);
    EXPECT_EQ(seen.count(0), 0u);
  } else {
    t.send(0, MsgKind::kHello, {{"from", t.rank()}, {"size", t.size()}});
  }
  end_of_case(t, "ranks");
}

// Every message from a worker arrives once, in send order, kind and body intact.
inline void messages_arrive_once_in_order_intact(Transport& t) {
  constexpr int kPerWorker = 200;
  const std::vector<MsgKind> kinds = {MsgKind::kHeartbeat, MsgKind::kProgress, MsgKind::kPing, MsgKind::kReady};
  auto body = [](int from, int n) {
    return json{{"n", n}, {"from", from}, {"text", "unicode \xc3\xa9\xe2\x82\xac and \"quotes\"\n"},
                {"nested", {{"list", {1, 2.5, "x", nullptr}}, {"flag", n % 2 == 0}}}};
  };
  if (t.rank() == 0) {
    std::map<int, int> next;  // per source: the n expected next
    for (int i = 0; i < kPerWorker * (t.size() - 1); ++i) {
      auto m = receive(t);
      ASSERT_TRUE(m) << "only " << i << " messages arrived";
      const int n = m->body["n"];
      EXPECT_EQ(n, next[m->peer]++) << "from rank " << m->peer << ": out of order or duplicated";
      EXPECT_EQ(m->kind, kinds[static_cast<size_t>(n) % kinds.size()]);
      EXPECT_EQ(m->body, body(m->peer, n));
    }
    for (int r = 1; r < t.size(); ++r) EXPECT_EQ(next[r], kPerWorker) << "rank " << r;
  } else {
    for (int n = 0; n < kPerWorker; ++n) t.send(0, kinds[static_cast<size_t>(n) % kinds.size()], body(t.rank(), n));
    EXPECT_TRUE(flush(t));
  }
  end_of_case(t, "order");
}

// A 4 MB body goes to every worker and comes back the same.
inline void large_bodies_round_trip(Transport& t) {
  std::string big(4 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  if (t.rank() == 0) {
    for (int r = 1; r < t.size(); ++r) t.send(r, MsgKind::kAssign, {{"payload", big}, {"to", r}});
    for (int i = 1; i < t.size(); ++i) {
      auto m = receive(t);
      ASSERT_TRUE(m);
      EXPECT_EQ(m->kind, MsgKind::kResult);
      EXPECT_EQ(m->body["to"], m->peer);
      EXPECT_TRUE(m->body["payload"] == big) << "the echoed body differs";
    }
  } else {
    auto m = receive(t);
    ASSERT_TRUE(m);
    ASSERT_EQ(m->kind, MsgKind::kAssign);
    EXPECT_EQ(m->peer, 0);
    t.send(0, MsgKind::kResult, m->body);
  }
  end_of_case(t, "large");
}

// A forgotten rank gets nothing (and no send to it stays pending); once readmitted it gets
// messages again.
inline void a_forgotten_rank_gets_nothing_until_readmitted(Transport& t) {
  if (t.rank() == 0) {
    for (int r = 1; r < t.size(); ++r) t.forget(r);
    for (int r = 1; r < t.size(); ++r) t.send(r, MsgKind::kPing, {{"n", 1}});
    EXPECT_EQ(t.pending_sends(), 0u) << "a send to a forgotten rank is pending";
    for (int r = 1; r < t.size(); ++r) t.readmit(r);
    for (int r = 1; r < t.size(); ++r) t.send(r, MsgKind::kPing, {{"n", 2}});
  } else {
    auto m = receive(t);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, MsgKind::kPing);
    EXPECT_EQ(m->body["n"], 2) << "a message sent while the rank was forgotten arrived";
  }
  end_of_case(t, "forget");
}

// Every case, in order, for every rank.
inline const std::vector<std::pair<const char*, std::function<void(Transport&)>>>& cases() {
  static const std::vector<std::pair<const char*, std::function<void(Transport&)>>> all = {
      {"PollIsEmptyAndDoesNotBlock", poll_is_empty_and_does_not_block},
      {"RanksAreDistinctAndSourcesTrue", ranks_are_distinct_and_sources_true},
      {"MessagesArriveOnceInOrderIntact", messages_arrive_once_in_order_intact},
      {"LargeBodiesRoundTrip", large_bodies_round_trip},
      {"AForgottenRankGetsNothingUntilReadmitted", a_forgotten_rank_gets_nothing_until_readmitted},
  };
  return all;
}

}  // namespace amnl::orch::conformance
