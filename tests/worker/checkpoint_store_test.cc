#include <gtest/gtest.h>

#include <filesystem>

#include "common/fault_injecting_storage.h"
#include "support/test_support.h"
#include "worker/checkpoint_store.h"

namespace amnl::worker {
namespace {

CheckpointInfo info(CheckpointKind kind, int epoch, int64_t batch = 0, int attempt = 1) {
  CheckpointInfo i;
  i.kind = kind;
  i.epoch = epoch;
  i.batch = batch;
  i.attempt = attempt;
  i.file = checkpoint_file_name(kind, epoch);
  return i;
}

std::vector<std::string> files_of(const std::vector<CheckpointInfo>& v) {
  std::vector<std::string> out;
  for (const auto& c : v) out.push_back(c.file);
  return out;
}

TEST(CheckpointStore, NamesFollowTheRecipeConvention) {
  EXPECT_EQ(checkpoint_file_name(CheckpointKind::kPeriodic, 50), "epoch_50.pt");
  EXPECT_EQ(checkpoint_file_name(CheckpointKind::kBest, 87), "best_epoch_87.pt");
  EXPECT_EQ(checkpoint_file_name(CheckpointKind::kEmergency, 3), "interrupted.pt");
}

TEST(CheckpointStore, OrdersByPositionThenAttemptAndKeepsLastK) {
  test::TempDir dir;
  CheckpointStore store(make_posix_storage(), dir / "checkpoints");
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 2), "two", 2).ok());
  ASSERT_TRUE(store.put(info(CheckpointKind::kBest, 3), "best3", 2).ok());
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 4), "four", 2).ok());
  ASSERT_TRUE(store.put(info(CheckpointKind::kEmergency, 4, 7), "mid", 2).ok());
  ASSERT_TRUE(store.put(info(CheckpointKind::kBest, 5), "best5", 2).ok());
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 6), "six", 2).ok());
  // Periodic: only the last two; best: only the newest.
  EXPECT_EQ(files_of(store.candidates(nullptr)),
            (std::vector<std::string>{"epoch_6.pt", "best_epoch_5.pt", "interrupted.pt", "epoch_4.pt"}));
  EXPECT_FALSE(std::filesystem::exists(dir / "checkpoints/epoch_2.pt"));
  EXPECT_FALSE(std::filesystem::exists(dir / "checkpoints/best_epoch_3.pt"));
  // A newer attempt at the same position wins.
  ASSERT_TRUE(store.put(info(CheckpointKind::kEmergency, 6, 0, 2), "again", 2).ok());
  EXPECT_EQ(store.candidates(nullptr).front().file, "interrupted.pt");
  EXPECT_EQ(*store.read_verified(store.candidates(nullptr).front()), "again");
}

TEST(CheckpointStore, TornWriteIsDetectedAndTheOlderOneStillVerifies) {
  test::TempDir dir;
  auto fis = std::make_shared<FaultInjectingStorage>(make_posix_storage());
  CheckpointStore store(fis, dir / "checkpoints");
  const std::string older(1000, 'a'), newer(1000, 'b');
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 2), older, 3).ok());
  fis->tear_next_write(100);  // the checkpoint file itself (the manifest follows it)
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 4), newer, 3).ok());
  const auto c = store.candidates(nullptr);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].file, "epoch_4.pt");
  auto bad = store.read_verified(c[0]);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("epoch_4.pt"), std::string::npos) << bad.message();
  EXPECT_NE(bad.message().find("truncated"), std::string::npos) << bad.message();
  auto good = store.read_verified(c[1]);
  ASSERT_TRUE(good.ok()) << good.message();
  EXPECT_EQ(*good, older);
}

// A crash (or a disk that loses a tail) after every prefix of a checkpoint write, and of the
// manifest write that follows it: resume always finds the newest checkpoint that verifies, and
// the earlier one is never damaged.
TEST(CheckpointStore, TornWritesAtEveryByteLeaveTheNewestValidCheckpoint) {
  const std::string older(64, 'a'), newer(64, 'b');
  auto first_verified = [](const CheckpointStore& store) -> std::string {
    for (const auto& c : store.candidates(nullptr))
      if (auto bytes = store.read_verified(c); bytes.ok()) return *bytes;
    return "";
  };
  for (size_t cut = 0; cut < newer.size(); ++cut) {  // the checkpoint file torn
    test::TempDir dir;
    auto fis = std::make_shared<FaultInjectingStorage>(make_posix_storage());
    CheckpointStore store(fis, dir / "checkpoints");
    ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 2), older, 3).ok());
    fis->tear_next_write(cut);
    ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 4), newer, 3).ok());
    EXPECT_EQ(first_verified(store), older) << "cut " << cut;
  }
  // The manifest torn at every byte (as a disk that loses the tail of a renamed file leaves it).
  test::TempDir dir;
  CheckpointStore store(make_posix_storage(), dir / "checkpoints");
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 2), older, 3).ok());
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 4), newer, 3).ok());
  const std::string manifest_bytes = test::read_file(dir / "checkpoints/MANIFEST.json");
  for (size_t cut = 0; cut < manifest_bytes.size(); ++cut) {
    test::write_file(dir / "checkpoints/MANIFEST.json", manifest_bytes.substr(0, cut));
    const std::string got = first_verified(store);
    EXPECT_TRUE(got == older || got == newer) << "cut " << cut << ": nothing verifies";
    EXPECT_EQ(test::read_file(dir / "checkpoints/epoch_2.pt"), older) << "cut " << cut;
  }
}

// Regression: a torn manifest orphaned every checkpoint (resume started at epoch 0).
TEST(CheckpointStore, ATornManifestFallsBackToThePreviousOne) {
  test::TempDir dir;
  CheckpointStore store(make_posix_storage(), dir / "checkpoints");
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 2), "two", 3).ok());
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 4), "four", 3).ok());
  test::write_file(dir / "checkpoints/MANIFEST.json", "{\"checkpoints\": [{\"fi");
  std::vector<std::string> notes;
  const auto c = store.candidates(&notes);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].file, "epoch_2.pt");
  EXPECT_EQ(*store.read_verified(c[0]), "two");
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes[0].find("MANIFEST.prev.json"), std::string::npos) << notes[0];
  // The next checkpoint keeps the older entries listed, so retention still sees them.
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 6), "six", 3).ok());
  std::vector<std::string> files;
  for (const auto& e : store.candidates(nullptr)) files.push_back(e.file);
  EXPECT_EQ(files, (std::vector<std::string>{"epoch_6.pt", "epoch_2.pt"}));
}

TEST(CheckpointStore, FlippedByteIsAChecksumMismatch) {
  test::TempDir dir;
  CheckpointStore store(make_posix_storage(), dir / "checkpoints");
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 2), std::string(64, 'x'), 3).ok());
  std::string bytes = test::read_file(dir / "checkpoints/epoch_2.pt");
  bytes[10] ^= 0x01;
  test::write_file(dir / "checkpoints/epoch_2.pt", bytes);
  auto r = store.read_verified(store.candidates(nullptr).front());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("checksum mismatch"), std::string::npos) << r.message();
}

TEST(CheckpointStore, UnreadableManifestYieldsNoCandidatesAndANote) {
  test::TempDir dir;
  CheckpointStore store(make_posix_storage(), dir / "checkpoints");
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 2), "x", 3).ok());
  test::write_file(dir / "checkpoints/MANIFEST.json", "{\"checkpoints\": [");
  std::vector<std::string> notes;
  EXPECT_TRUE(store.candidates(&notes).empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("MANIFEST.json"), std::string::npos) << notes[0];
  // A manifest naming a path outside the directory is refused, not followed.
  test::write_file(dir / "checkpoints/MANIFEST.json",
                   R"({"checkpoints":[{"file":"../../etc/passwd","kind":"periodic","epoch":1,"batch":0,"attempt":1,"size":1,"crc32":"0"}]})");
  notes.clear();
  EXPECT_TRUE(store.candidates(&notes).empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("bad file name"), std::string::npos) << notes[0];
}

TEST(CheckpointStore, FailedWriteIsAnError) {
  test::TempDir dir;
  auto fis = std::make_shared<FaultInjectingStorage>(make_posix_storage());
  CheckpointStore store(fis, dir / "checkpoints");
  fis->fail_next_mutations(2);
  EXPECT_FALSE(store.put(info(CheckpointKind::kPeriodic, 2), "x", 3).ok());
}

TEST(CheckpointStore, RemovesOnlyTheTemporariesOfKilledWrites) {
  test::TempDir dir;
  CheckpointStore store(make_posix_storage(), dir / "checkpoints");
  ASSERT_TRUE(store.put(info(CheckpointKind::kPeriodic, 2), "x", 3).ok());
  const std::string tmp = temporary_name(dir / "checkpoints/epoch_3.pt", 0);
  test::write_file(tmp, std::string(1000, 'h'));  // a write killed before its rename
  auto removed = remove_temporaries(*make_posix_storage(), dir / "checkpoints");
  ASSERT_TRUE(removed.ok()) << removed.message();
  EXPECT_EQ(*removed, std::vector<std::string>{tmp});
  EXPECT_FALSE(std::filesystem::exists(tmp));
  std::vector<std::string> notes;
  EXPECT_EQ(files_of(store.candidates(&notes)), std::vector<std::string>{"epoch_2.pt"});
  EXPECT_TRUE(remove_temporaries(*make_posix_storage(), dir / "absent").ok());
}

}  // namespace
}  // namespace amnl::worker
