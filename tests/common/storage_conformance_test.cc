// One conformance suite run against every Storage implementation (c10d Store style).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "common/fault_injecting_storage.h"
#include "common/storage.h"
#include "support/test_support.h"

namespace amnl {
namespace {

using Factory = std::function<std::shared_ptr<Storage>()>;

class StorageConformance : public ::testing::TestWithParam<std::pair<const char*, Factory>> {
 protected:
  void SetUp() override { storage_ = GetParam().second(); }
  std::shared_ptr<Storage> storage_;
  test::TempDir dir_;
};

TEST_P(StorageConformance, WriteAtomicThenReadBack) {
  const std::string path = dir_ / "a.bin";
  std::string bytes("hello\0world", 11);
  ASSERT_TRUE(storage_->write_atomic(path, bytes).ok());
  auto got = storage_->read(path);
  ASSERT_TRUE(got.ok()) << got.message();
  EXPECT_EQ(*got, bytes);
}

TEST_P(StorageConformance, WriteAtomicReplacesAndLeavesNoTemporaries) {
  const std::string path = dir_ / "a.txt";
  ASSERT_TRUE(storage_->write_atomic(path, "first").ok());
  ASSERT_TRUE(storage_->write_atomic(path, "second, longer").ok());
  EXPECT_EQ(*storage_->read(path), "second, longer");
  auto files = storage_->list_files(dir_.path());
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, std::vector<std::string>{"a.txt"});
}

TEST_P(StorageConformance, AppendAccumulates) {
  const std::string path = dir_ / "journal";
  ASSERT_TRUE(storage_->append(path, "one\n").ok());
  ASSERT_TRUE(storage_->append(path, "two\n").ok());
  EXPECT_EQ(*storage_->read(path), "one\ntwo\n");
}

TEST_P(StorageConformance, MissingFileIsAnErrorNamingThePath) {
  auto got = storage_->read(dir_ / "nope");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.message().find("nope"), std::string::npos) << got.message();
  EXPECT_FALSE(storage_->exists(dir_ / "nope"));
}

// Regression: a FIFO planted where a run file belongs (outcome.json, the ledger) blocked every
// reader for ever (`amnl status` hung, as would the coordinator's replay); a directory read as an
// empty file. Both are errors naming the path, at once.
TEST_P(StorageConformance, ReadingAFifoOrADirectoryIsAnErrorNamingThePath) {
  const std::string fifo = dir_ / "outcome.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto got = std::async(std::launch::async, [&] { return storage_->read(fifo); });
  ASSERT_EQ(got.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "read() blocks on a FIFO";  // the test process then hangs in ~future: ctest's timeout ends it
  const auto from_fifo = got.get();
  ASSERT_FALSE(from_fifo.ok());
  EXPECT_NE(from_fifo.message().find(fifo), std::string::npos) << from_fifo.message();
  EXPECT_NE(from_fifo.message().find("not a regular file"), std::string::npos) << from_fifo.message();

  const std::string directory = dir_ / "ledger.jsonl";
  std::filesystem::create_directory(directory);
  const auto from_directory = storage_->read(directory);
  ASSERT_FALSE(from_directory.ok());
  EXPECT_NE(from_directory.message().find(directory), std::string::npos) << from_directory.message();
}

TEST_P(StorageConformance, MakeDirsListAndRemove) {
  const std::string sub = dir_ / "x/y/z";
  ASSERT_TRUE(storage_->make_dirs(sub).ok());
  ASSERT_TRUE(storage_->make_dirs(sub).ok()) << "make_dirs must be idempotent";
  ASSERT_TRUE(storage_->write_atomic(sub + "/b", "2").ok());
  ASSERT_TRUE(storage_->write_atomic(sub + "/a", "1").ok());
  EXPECT_EQ(*storage_->list_files(sub), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(storage_->remove(sub + "/a").ok());
  EXPECT_EQ(*storage_->list_files(sub), std::vector<std::string>{"b"});
}

TEST_P(StorageConformance, WriteIntoMissingDirectoryFailsWithMessage) {
  Status st = storage_->write_atomic(dir_ / "no/such/dir/file", "x");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no/such/dir"), std::string::npos) << st.message();
}

// Fenced commits publish user-visible names as links (worker/checkpoint_store.h): the link must
// replace the target in one step, survive a later rewrite of its source, and leave no temporary.
TEST_P(StorageConformance, LinkAtomicGivesASecondNameThatReplacesTheTarget) {
  const std::string a = dir_ / "epoch_4.pt.f7-s-a1", b = dir_ / "epoch_4.pt";
  ASSERT_TRUE(storage_->write_atomic(a, "mine").ok());
  ASSERT_TRUE(storage_->write_atomic(b, "someone else's").ok());
  ASSERT_TRUE(storage_->link_atomic(a, b).ok());
  EXPECT_EQ(*storage_->read(b), "mine");
  ASSERT_TRUE(storage_->write_atomic(a, "rewritten").ok());
  EXPECT_EQ(*storage_->read(b), "mine") << "a rewrite of the source changed the published name";
  EXPECT_EQ(*storage_->list_files(dir_.path()), (std::vector<std::string>{"epoch_4.pt", "epoch_4.pt.f7-s-a1"}));
  Status missing = storage_->link_atomic(dir_ / "nope", dir_ / "c");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("nope"), std::string::npos) << missing.message();
  EXPECT_FALSE(storage_->exists(dir_ / "c"));
}

INSTANTIATE_TEST_SUITE_P(
    AllStorages, StorageConformance,
    ::testing::Values(
        std::make_pair("posix", Factory([] { return make_posix_storage(); })),
        std::make_pair("fault_injecting", Factory([] {
                         return std::make_shared<FaultInjectingStorage>(make_posix_storage());
                       }))),
    [](const auto& info) { return std::string(info.param.first); });

TEST(FaultInjectingStorage, FailsTearsAndCounts) {
  test::TempDir dir;
  auto storage = std::make_shared<FaultInjectingStorage>(make_posix_storage());
  storage->fail_next_mutations(1);
  Status st = storage->write_atomic(dir / "f", "abc");
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(storage->exists(dir / "f"));
  storage->tear_next_write(2);
  EXPECT_TRUE(storage->write_atomic(dir / "f", "abcdef").ok());
  EXPECT_EQ(*storage->read(dir / "f"), "ab");
  storage->tear_next_append(3);
  EXPECT_FALSE(storage->append(dir / "j", "123456").ok());
  EXPECT_EQ(*storage->read(dir / "j"), "123");
  EXPECT_EQ(storage->mutation_count(), 3);
}

// The stall hook: a writer held in one operation (as an NFS client on a hung server) blocks
// before anything reaches the disk, everyone else goes on, and the release lets it finish.
TEST(FaultInjectingStorage, AHeldOperationWaitsForItsReleaseWhileOthersGoOn) {
  test::TempDir dir;
  auto storage = std::make_shared<FaultInjectingStorage>(make_posix_storage());
  storage->hold_next("write", "slow");
  std::thread stalled([&] { EXPECT_TRUE(storage->write_atomic(dir / "slow.pt", "late").ok()); });
  ASSERT_TRUE(storage->wait_until_held(std::chrono::seconds(10)));
  EXPECT_FALSE(storage->exists(dir / "slow.pt"));
  ASSERT_TRUE(storage->write_atomic(dir / "fast.pt", "now").ok());  // not held: only the next match is
  ASSERT_TRUE(storage->write_atomic(dir / "slow2.pt", "x").ok());   // another caller passes too
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(storage->exists(dir / "slow.pt")) << "the held write went on before its release";
  storage->release_held();
  stalled.join();
  EXPECT_EQ(*storage->read(dir / "slow.pt"), "late");
  // A hold nobody reached is cancelled by the release; links can be held too.
  storage->hold_next("link", "never");
  storage->release_held();
  EXPECT_TRUE(storage->link_atomic(dir / "fast.pt", dir / "never.pt").ok());
  EXPECT_FALSE(storage->wait_until_held(std::chrono::milliseconds(10)));
}

// Regression (data loss): an append that failed half-way (disk full) left its partial bytes,
// and the next record was glued to them. On a real full disk the file must stay as it was.
TEST(PosixStorageDiskFull, FailedAppendLeavesTheFileAsItWasAndWorksAgainWithSpace) {
  test::SmallDisk disk(64 * 1024);
  if (!disk.ok()) GTEST_SKIP() << disk.why();
  auto storage = make_posix_storage();
  const std::string path = disk / "journal";
  ASSERT_TRUE(storage->append(path, "first line\n").ok());
  disk.fill(8192);
  const std::string big(20000, 'r');  // part of it fits: the append fails half-way
  Status st = storage->append(path, big + "\n");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_EQ(*storage->read(path), "first line\n");
  // A failed atomic write leaves the old content and no temporary behind.
  const std::string state = disk / "state.json";
  disk.release();
  ASSERT_TRUE(storage->write_atomic(state, "old").ok());
  disk.fill(8192);
  EXPECT_FALSE(storage->write_atomic(state, std::string(30000, 'n')).ok());
  EXPECT_EQ(*storage->read(state), "old");
  auto files = storage->list_files(disk.path());
  ASSERT_TRUE(files.ok());
  for (const auto& f : *files) EXPECT_FALSE(is_temporary_name(f)) << f;
  disk.release();
  ASSERT_TRUE(storage->append(path, "second line\n").ok());
  EXPECT_EQ(*storage->read(path), "first line\nsecond line\n");
}

}  // namespace
}  // namespace amnl
