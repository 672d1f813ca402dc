// The fenced commit of one file (common/fence.h): the trainer's final model, history and
// metrics.json, the fake trainer's files.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/fault_injecting_storage.h"
#include "common/fence.h"
#include "support/test_support.h"

namespace amnl {
namespace {

TEST(Fence, TagsNameTheTokenSessionAndAttemptAndAreFoundInFileNames) {
  const FenceId f = make_fence_id(1733580000123, "9f3a-77c1b2e4d5", 3);
  EXPECT_TRUE(f.fenced());
  EXPECT_EQ(f.tag, "f1733580000123-9f3a77c1-a3");
  EXPECT_EQ(fenced_name("epoch_50.pt", f), "epoch_50.pt.f1733580000123-9f3a77c1-a3");
  EXPECT_EQ(fence_token_in_name(fenced_name("epoch_50.pt", f)), 1733580000123);
  EXPECT_EQ(fence_token_in_name("MANIFEST." + f.tag + ".prev.json"), 1733580000123);
  for (const char* plain : {"epoch_50.pt", "MANIFEST.json", "metrics.json", "epoch_3.pt.tmp.4242.0",
                            "FD001_v7_seed42.pt", "f12-ab", "x.f12-ab-a", "x.f-ab-a1", "x.f1-a-b-a1"})
    EXPECT_FALSE(fence_token_in_name(plain)) << plain;
  EXPECT_FALSE(FenceId{}.fenced());
}

// A writer that asked the lease, then stalled in the long write of metrics.json while the job
// went to another attempt: after waking it must not replace the owner's file.
TEST(Fence, AWriterStalledInItsWritePastANewLeaseCommitsNothing) {
  test::TempDir dir;
  auto storage = std::make_shared<FaultInjectingStorage>(make_posix_storage());
  std::atomic<int> lease{1};  // which attempt owns the job
  const FenceId old_fence = make_fence_id(10, "sess", 1), new_fence = make_fence_id(11, "sess", 2);
  const std::string path = dir / "metrics.json";
  storage->hold_next("write", "metrics.json");
  CommitResult stale;
  std::thread old_attempt([&] {
    stale = commit_file(*storage, path, "stale result", old_fence, [&] { return lease == 1; });
  });
  ASSERT_TRUE(storage->wait_until_held(std::chrono::seconds(10)));
  lease = 2;
  const CommitResult owner = commit_file(*storage, path, "owner's result", new_fence, [&] { return lease == 2; });
  ASSERT_TRUE(owner.ok()) << owner.status.message();
  storage->release_held();
  old_attempt.join();
  EXPECT_TRUE(stale.fenced);
  EXPECT_EQ(*storage->read(path), "owner's result");
  EXPECT_EQ(*storage->list_files(dir.path()), std::vector<std::string>{"metrics.json"}) << "staged copies left";
}

TEST(Fence, UnfencedCommitIsAPlainAtomicWriteAndALostLeaseWritesNothing) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  ASSERT_TRUE(commit_file(*storage, dir / "a", "x", FenceId{}, {}).ok());
  EXPECT_EQ(*storage->read(dir / "a"), "x");
  const CommitResult lost = commit_file(*storage, dir / "b", "y", make_fence_id(5, "s", 1), [] { return false; });
  EXPECT_TRUE(lost.fenced);
  EXPECT_FALSE(storage->exists(dir / "b"));
}

TEST(Fence, RemovesOnlyFilesOfOlderTokens) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  for (const char* f : {"metrics.json", "metrics.json.f9-s-a1", "metrics.json.f10-s-a2", "MANIFEST.f8-s-a1.json"})
    ASSERT_TRUE(storage->write_atomic(dir / f, "x").ok());
  auto removed = remove_older_fenced_files(*storage, dir.path(), 10);
  ASSERT_TRUE(removed.ok()) << removed.message();
  EXPECT_EQ(removed->size(), 2u);
  EXPECT_EQ(*storage->list_files(dir.path()), (std::vector<std::string>{"metrics.json", "metrics.json.f10-s-a2"}));
}

}  // namespace
}  // namespace amnl
