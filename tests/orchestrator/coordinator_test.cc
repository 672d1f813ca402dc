// The coordinator's event loop over an in-process fake transport (no MPI): leases are written
// before assignments are sent, a worker that goes silent is declared dead, its job is reassigned
// and nothing is ever sent to it again.
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <set>

#include "orchestrator/coordinator.h"
#include "orchestrator/lease.h"
#include "orchestrator/ledger.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

// Workers simulated inside the transport: each finishes a job the moment it is assigned, except
// `silent_after_assign`, which takes its first job and then never speaks again.
class FakeWorkers final : public Transport {
 public:
  FakeWorkers(int size, int silent_after_assign, std::shared_ptr<Storage> storage)
      : size_(size), silent_rank_(silent_after_assign), storage_(std::move(storage)) {}
  int rank() const override { return 0; }
  int size() const override { return size_; }
  void send(int dest, MsgKind kind, const json& body) override {
    if (forgotten_.count(dest)) ++sent_to_forgotten;  // must never happen
    if (kind == MsgKind::kStart) {
      inbox_.push_back(Message{MsgKind::kHello, dest, {{"pid", 0}, {"host", "elsewhere"}}});
      inbox_.push_back(Message{MsgKind::kReady, dest, json::object()});
    } else if (kind == MsgKind::kAssign) {
      const std::string job = body["job"];
      const int attempt = body["attempt"];
      if (!lease_owned_by(*storage_, body["job_dir"], attempt)) ++assign_without_lease;
      assigned.push_back({dest, job, attempt});
      if (dest == silent_rank_) {
        silent_ = true;
        return;
      }
      JobResult r;
      r.end = JobEnd::kDone;
      r.metrics = {{"test_rmse", 1.5}};
      inbox_.push_back(Message{MsgKind::kResult, dest, result_to_json(job, attempt, r)});
      inbox_.push_back(Message{MsgKind::kReady, dest, json::object()});
    } else if (kind == MsgKind::kShutdown) {
      shutdown.insert(dest);
    }
  }
  std::optional<Message> poll() override {
    // Heartbeats from every worker that still talks.
    const double now = clock_.now();
    if (now - last_hb_ > 0.02) {
      last_hb_ = now;
      for (int r = 1; r < size_; ++r)
        if (!(r == silent_rank_ && silent_)) inbox_.push_back(Message{MsgKind::kHeartbeat, r, {{"job", ""}, {"attempt", 0}, {"counter", -1}}});
    }
    if (inbox_.empty()) return std::nullopt;
    Message m = inbox_.front();
    inbox_.pop_front();
    return m;
  }
  void progress() override {}
  size_t pending_sends() const override { return 0; }
  void forget(int rank) override { forgotten_.insert(rank); }

  struct Sent { int rank; std::string job; int attempt; };
  std::vector<Sent> assigned;
  std::set<int> shutdown;
  int sent_to_forgotten = 0, assign_without_lease = 0;

 private:
  int size_, silent_rank_;
  bool silent_ = false;
  std::shared_ptr<Storage> storage_;
  std::deque<Message> inbox_;
  std::set<int> forgotten_;
  SteadyClock clock_;
  double last_hb_ = 0;
};

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

TEST(CoordinatorTest, LeaseBeforeAssignDeadWorkerFencedAndNeverContactedAgain) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  FakeWorkers workers(3, /*silent_after_assign=*/2, storage);
  CoordinatorOptions opt;
  opt.summary_interval_s = 100;
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
  EXPECT_FALSE(lease_owned_by(*storage, dir / ("run/jobs/X/seed_" + seed), 1));
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

}  // namespace
}  // namespace amnl::orch
