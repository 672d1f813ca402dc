// Hostile checkpoint manifests (found by bench/fuzz/fuzz_manifest): numbers of the wrong type or
// out of range are refused with a message naming the manifest and the field; they used to be
// converted with undefined behaviour (1e300 into an int).
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "worker/checkpoint_store.h"

namespace amnl::worker {
namespace {

std::string manifest_with(const std::string& field, const std::string& value) {
  std::string e = R"({"file": "epoch_1.pt", "kind": "periodic", "epoch": 1, "batch": 0, "attempt": 1, "size": 1, "crc32": "8cdc1683"})";
  const std::string key = "\"" + field + "\": ";
  const size_t at = e.find(key) + key.size();
  const size_t end = e.find_first_of(",}", at);
  e.replace(at, end - at, value);
  return R"({"checkpoints": [)" + e + "]}";
}

TEST(ManifestHostile, OutOfRangeOrWrongTypedNumbersAreRefusedNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"epoch", "1e300"},     {"epoch", "-1"},         {"epoch", "4294967296"}, {"epoch", "1.5"},
      {"batch", "-1e300"},    {"batch", "\"7\""},      {"attempt", "0"},        {"attempt", "1e10"},
      {"size", "-1"},         {"size", "1e300"},       {"epoch", "true"},
  };
  for (const auto& [field, value] : cases) {
    test::TempDir dir;
    auto storage = make_posix_storage();
    CheckpointStore store(storage, dir.path());
    ASSERT_TRUE(storage->write_atomic(dir / "MANIFEST.json", manifest_with(field, value)).ok());
    ASSERT_TRUE(storage->write_atomic(dir / "epoch_1.pt", "x").ok());
    std::vector<std::string> notes;
    const auto c = store.candidates(&notes);
    EXPECT_TRUE(c.empty()) << field << "=" << value << " gave epoch " << (c.empty() ? 0 : c[0].epoch);
    ASSERT_EQ(notes.size(), 1u) << field << "=" << value;
    EXPECT_NE(notes[0].find("MANIFEST.json"), std::string::npos) << notes[0];
    EXPECT_NE(notes[0].find(field), std::string::npos) << notes[0];
  }
}

TEST(ManifestHostile, WellFormedManifestStillReads) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  CheckpointStore store(storage, dir.path());
  ASSERT_TRUE(storage->write_atomic(dir / "MANIFEST.json", manifest_with("epoch", "7")).ok());
  ASSERT_TRUE(storage->write_atomic(dir / "epoch_1.pt", "x").ok());
  std::vector<std::string> notes;
  const auto c = store.candidates(&notes);
  ASSERT_EQ(c.size(), 1u) << (notes.empty() ? "" : notes[0]);
  EXPECT_EQ(c[0].epoch, 7);
  EXPECT_TRUE(store.read_verified(c[0]).ok());
}

// A damaged manifest must not stop the next checkpoint from being written and listed.
TEST(ManifestHostile, PutOverAHostileManifestStartsAFreshOne) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  CheckpointStore store(storage, dir.path());
  ASSERT_TRUE(storage->write_atomic(dir / "MANIFEST.json", manifest_with("epoch", "1e300")).ok());
  CheckpointInfo info;
  info.file = checkpoint_file_name(CheckpointKind::kPeriodic, 2);
  info.epoch = 2;
  ASSERT_TRUE(store.put(info, "bytes", 2).ok());
  const auto c = store.candidates(nullptr);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].epoch, 2);
}

}  // namespace
}  // namespace amnl::worker
