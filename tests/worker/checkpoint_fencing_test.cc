// Fenced commits of checkpoints (the protocol: worker/checkpoint_store.h). Each test stalls a
// stale attempt's write at one step, on the storage seam, until a newer attempt took the lease
// and committed; then lets it go on. Nothing it does afterwards may become visible to the newer
// lineage: not its bytes under a name the owner trusts, not its manifest, not its removals.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/fault_injecting_storage.h"
#include "common/fence.h"
#include "support/test_support.h"
#include "worker/checkpoint_store.h"

namespace amnl::worker {
namespace {

CheckpointInfo periodic(int epoch, int attempt) {
  CheckpointInfo i;
  i.kind = CheckpointKind::kPeriodic;
  i.epoch = epoch;
  i.attempt = attempt;
  i.file = checkpoint_file_name(i.kind, epoch);
  return i;
}

using Files = std::vector<std::pair<std::string, std::string>>;

class CheckpointFencing : public ::testing::Test {
 protected:
  ~CheckpointFencing() override {
    if (!late_writer_.joinable()) return;
    storage_->release_held();
    late_writer_.join();
  }
  // Attempt `attempt` holds the lease while `lease_` equals its token (10 * attempt).
  std::unique_ptr<CheckpointStore> attempt(int attempt) {
    const int64_t token = 10 * attempt;
    return std::make_unique<CheckpointStore>(storage_, dir(), make_fence_id(token, "9f3a77c1", attempt),
                                             [this, token] { return lease_.load() == token; });
  }
  std::string dir() const { return dir_ / "checkpoints"; }
  // What any later reader trusts: the newest verified bytes of each file, newest first.
  std::vector<std::pair<std::string, std::string>> trusted() const {
    CheckpointStore reader(make_posix_storage(), dir());
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& c : reader.candidates(nullptr)) {
      auto bytes = reader.read_verified(c);
      out.emplace_back(c.file, bytes.ok() ? *bytes : "unverified: " + bytes.message());
    }
    return out;
  }
  std::string alias(const std::string& file) const { return test::read_file(dir() + "/" + file); }
  bool any_file_of_token(int64_t token) const {
    for (const auto& f : std::filesystem::directory_iterator(dir()))
      if (fence_token_in_name(f.path().filename().string()) == token) return true;
    return false;
  }
  // Starts `put` on its own thread, held at the first `op` on a path containing `part`.
  std::thread stalled_put(CheckpointStore& store, CheckpointInfo info, std::string bytes, const std::string& op,
                          const std::string& part, Status* result) {
    storage_->hold_next(op, part);
    std::thread t([&store, info, bytes, result] { *result = store.put(info, bytes, 2); });
    EXPECT_TRUE(storage_->wait_until_held(std::chrono::seconds(10))) << "the put never reached " << op << " " << part;
    return t;
  }
  // The race of every test: attempt 1 commits epoch 2 ("A2"), then starts putting `late`, held
  // at the first `op` on a path containing `part`, and the lease moves to attempt 2.
  std::unique_ptr<CheckpointStore> stale_writer_held_at(const CheckpointInfo& late, const std::string& bytes,
                                                        const std::string& op, const std::string& part) {
    auto a = attempt(1);
    EXPECT_TRUE(a->put(periodic(2, 1), "A2", 2).ok());
    late_writer_ = stalled_put(*a, late, bytes, op, part, &late_);
    lease_ = 20;
    return a;
  }
  // Lets the held writer go on; its put's result is then in late_.
  void release_stale_writer() {
    storage_->release_held();
    late_writer_.join();
  }
  // Attempt 2 takes over and commits `info` as `bytes`.
  std::unique_ptr<CheckpointStore> new_owner_commits(const CheckpointInfo& info, const std::string& bytes) {
    auto b = attempt(2);
    EXPECT_TRUE(b->take_over().ok());
    EXPECT_TRUE(b->put(info, bytes, 2).ok());
    return b;
  }

  test::TempDir dir_;
  std::shared_ptr<FaultInjectingStorage> storage_ = std::make_shared<FaultInjectingStorage>(make_posix_storage());
  std::atomic<int64_t> lease_{10};
  std::thread late_writer_;
  Status late_;  // the held put's result, once released
};

// Regression: the lease was asked before the write only, so a writer stalled in it replaced
// epoch_4.pt and rewrote MANIFEST.json over the new attempt's after waking.
TEST_F(CheckpointFencing, AWriterStalledInItsDataWritePastANewLeaseCommitsNothing) {
  auto a = stale_writer_held_at(periodic(4, 1), "A4 late", "write", "epoch_4.pt");
  new_owner_commits(periodic(4, 2), "B4");
  release_stale_writer();
  EXPECT_FALSE(late_.ok());
  EXPECT_TRUE(a->lost_lease()) << late_.message();
  EXPECT_EQ(trusted(), (Files{{"epoch_4.pt", "B4"}, {"epoch_2.pt", "A2"}}));
  EXPECT_EQ(alias("epoch_4.pt"), "B4");
  EXPECT_FALSE(any_file_of_token(10)) << "the stale attempt left files behind";
  // Its next put is refused before it writes anything.
  EXPECT_FALSE(a->put(periodic(6, 1), "A6", 2).ok());
  EXPECT_EQ(trusted().front().second, "B4");
}

// Stalled after its last lease question, right before writing its manifest: the manifest lands
// (under the stale attempt's own name) but carries an older token, so no reader trusts it.
TEST_F(CheckpointFencing, AManifestCommittedLateByAStaleWriterIsNeverTrusted) {
  auto a = stale_writer_held_at(periodic(6, 1), "A6 late", "write", "MANIFEST.f10");
  new_owner_commits(periodic(4, 2), "B4");
  release_stale_writer();
  EXPECT_TRUE(a->lost_lease()) << late_.message();
  EXPECT_EQ(trusted(), (Files{{"epoch_4.pt", "B4"}, {"epoch_2.pt", "A2"}})) << "the stale epoch 6 is trusted";
  EXPECT_FALSE(std::filesystem::exists(dir() + "/epoch_6.pt")) << "the stale epoch 6 was published";
  // The next attempt resumes from the owner's lineage, and clears the stale leftovers.
  lease_ = 30;
  auto c = attempt(3);
  ASSERT_TRUE(c->take_over().ok());
  EXPECT_EQ(c->candidates(nullptr).front().file, "epoch_4.pt");
  EXPECT_EQ(*c->read_verified(c->candidates(nullptr).front()), "B4");
  EXPECT_FALSE(any_file_of_token(10));
  EXPECT_FALSE(any_file_of_token(20));
}

// The window that remains (no compare-and-swap on NFS): stalled between its last lease question
// and the links of the user-visible names. Once the new owner took over, the stale attempt's
// files are gone (the owner removes older tokens), so a late link fails, and as fenced.
TEST_F(CheckpointFencing, ALateAliasLinkAfterTheNewOwnerTookOverFailsAsFenced) {
  auto a = stale_writer_held_at(periodic(4, 1), "A4", "link", "epoch_4.pt");
  new_owner_commits(periodic(6, 2), "B6");  // inherits A's epoch 4: A committed it before the lease moved
  release_stale_writer();
  EXPECT_FALSE(late_.ok());
  EXPECT_TRUE(a->lost_lease()) << "a stale writer's failure is a lost lease, not a storage failure: "
                               << late_.message();
  EXPECT_EQ(trusted(), (Files{{"epoch_6.pt", "B6"}, {"epoch_4.pt", "A4"}}));
  EXPECT_EQ(nlohmann::json::parse(alias("MANIFEST.json")).value("writer", ""), make_fence_id(20, "9f3a77c1", 2).tag);
}

// The same window before the new owner starts: the late links land, and are what the new owner
// takes over, exactly as if they had come before the lease moved.
TEST_F(CheckpointFencing, ALatePublishBeforeTheNewOwnerStartsIsTakenOverAsCommitted) {
  auto a = stale_writer_held_at(periodic(4, 1), "A4", "link", "MANIFEST.json");
  release_stale_writer();
  EXPECT_TRUE(late_.ok()) << late_.message();
  new_owner_commits(periodic(6, 2), "B6");
  EXPECT_EQ(trusted(), (Files{{"epoch_6.pt", "B6"}, {"epoch_4.pt", "A4"}}));
  EXPECT_EQ(alias("epoch_4.pt"), "A4");
  EXPECT_FALSE(std::filesystem::exists(dir() + "/epoch_2.pt")) << "retention keeps the last 2";
  EXPECT_EQ(nlohmann::json::parse(alias("MANIFEST.json")).value("writer", ""), make_fence_id(20, "9f3a77c1", 2).tag);
}

// An inherited checkpoint is the new owner's own (a hard link under its tag): the old attempt's
// removal of its own names, as its retention or a late clean-up would do, takes nothing away.
TEST_F(CheckpointFencing, TakeOverMakesTheInheritedCheckpointsTheOwnersOwn) {
  auto a = attempt(1);
  ASSERT_TRUE(a->put(periodic(2, 1), "A2", 2).ok());
  ASSERT_TRUE(a->put(periodic(4, 1), "A4", 2).ok());
  lease_ = 20;
  auto b = attempt(2);
  ASSERT_TRUE(b->take_over().ok());
  EXPECT_FALSE(any_file_of_token(10)) << "the old attempt's names are gone";
  const auto c = b->candidates(nullptr);
  ASSERT_EQ(c.size(), 2u);
  for (const auto& e : c) {
    EXPECT_EQ(fence_token_in_name(e.stored_as), 20) << e.stored_as;
    EXPECT_TRUE(b->read_verified(e).ok()) << e.file;
  }
  EXPECT_EQ(alias("epoch_4.pt"), "A4");
}

// A fresh start (resume off) is fenced too: the owner's empty manifest outranks the older
// lineage, so a stale writer's late manifest does not bring its checkpoints back.
TEST_F(CheckpointFencing, AFenceClearOutranksALateManifestOfTheOlderLineage) {
  auto a = stale_writer_held_at(periodic(4, 1), "A4 late", "write", "MANIFEST.f10");
  ASSERT_TRUE(attempt(2)->clear().ok());
  release_stale_writer();
  EXPECT_TRUE(a->lost_lease()) << late_.message();
  EXPECT_TRUE(trusted().empty());
  EXPECT_FALSE(std::filesystem::exists(dir() + "/epoch_2.pt"));
  EXPECT_FALSE(std::filesystem::exists(dir() + "/epoch_4.pt"));
}

// A job directory of the plain layout (an unfenced writer) is taken over as it is.
TEST_F(CheckpointFencing, APlainLayoutIsTakenOverWithItsCheckpoints) {
  CheckpointStore plain(storage_, dir());
  ASSERT_TRUE(plain.put(periodic(2, 1), "P2", 2).ok());
  lease_ = 20;
  new_owner_commits(periodic(4, 2), "B4");
  EXPECT_EQ(trusted(), (Files{{"epoch_4.pt", "B4"}, {"epoch_2.pt", "P2"}}));
  EXPECT_FALSE(std::filesystem::exists(dir() + "/MANIFEST.prev.json"));
}

}  // namespace
}  // namespace amnl::worker
