#include <gtest/gtest.h>

#include "common/fault_injecting_storage.h"
#include "orchestrator/ledger.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

std::vector<json> sample_records() {
  return {json{{"event", "queued"}, {"job", "FD001-s1"}},
          json{{"event", "assigned"}, {"job", "FD001-s1"}, {"attempt", 1}, {"rank", 2}},
          json{{"event", "done"}, {"job", "FD001-s1"}, {"attempt", 1}, {"metrics", {{"rmse", 12.5}}},
               {"note", "line\nbreak"}}};
}

TEST(LedgerTest, RoundTripsRecords) {
  test::TempDir dir;
  Ledger ledger(make_posix_storage(), dir / "ledger.jsonl");
  for (const auto& r : sample_records()) ASSERT_TRUE(ledger.append(r).ok());
  auto replay = ledger.replay();
  ASSERT_TRUE(replay.ok()) << replay.message();
  ASSERT_EQ(replay->records.size(), 3u);
  EXPECT_FALSE(replay->truncated);
  EXPECT_EQ(replay->records[2]["note"], "line\nbreak");
  EXPECT_EQ(replay->records[1]["rank"], 2);
  EXPECT_TRUE(replay->records[0].contains("time"));
}

TEST(LedgerTest, MissingFileIsEmpty) {
  test::TempDir dir;
  Ledger ledger(make_posix_storage(), dir / "none.jsonl");
  auto replay = ledger.replay();
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->records.empty());
}

// A crash at any byte of the last record leaves the earlier records readable, and the ledger
// accepts new records after the cut.
TEST(LedgerTest, TornTailAtEveryByteKeepsThePrefix) {
  std::string prefix;
  const auto recs = sample_records();
  for (size_t i = 0; i + 1 < recs.size(); ++i) prefix += encode_ledger_record(recs[i]);
  const std::string last = encode_ledger_record(recs.back());
  for (size_t cut = 0; cut < last.size(); ++cut) {
    test::TempDir dir;
    const std::string path = dir / "ledger.jsonl";
    test::write_file(path, prefix + last.substr(0, cut));
    Ledger ledger(make_posix_storage(), path);
    auto replay = ledger.replay();
    ASSERT_TRUE(replay.ok()) << "cut " << cut;
    ASSERT_EQ(replay->records.size(), recs.size() - 1) << "cut " << cut;
    EXPECT_EQ(replay->truncated, cut > 0) << "cut " << cut;
    EXPECT_EQ(test::read_file(path), prefix) << "cut " << cut;
    ASSERT_TRUE(ledger.append(json{{"event", "after"}}).ok());
    auto again = ledger.replay();
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(again->records.size(), recs.size()) << "cut " << cut;
    EXPECT_EQ(again->records.back()["event"], "after");
  }
}

TEST(LedgerTest, TornAppendThroughStorageKeepsPrefix) {
  test::TempDir dir;
  auto faulty = std::make_shared<FaultInjectingStorage>(make_posix_storage());
  Ledger ledger(faulty, dir / "ledger.jsonl");
  ASSERT_TRUE(ledger.append(sample_records()[0]).ok());
  faulty->tear_next_append(17);
  EXPECT_FALSE(ledger.append(sample_records()[1]).ok());
  auto replay = ledger.replay();
  ASSERT_TRUE(replay.ok());
  ASSERT_EQ(replay->records.size(), 1u);
  EXPECT_TRUE(replay->truncated);
}

TEST(LedgerTest, CorruptRecordEndsThePrefix) {
  const auto recs = sample_records();
  std::string bytes;
  for (const auto& r : recs) bytes += encode_ledger_record(r);
  // Flip one character inside the second record's JSON: its checksum no longer matches.
  const size_t second = encode_ledger_record(recs[0]).size();
  bytes[second + 20] ^= 0x01;
  LedgerReplay r = decode_ledger(bytes);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.records.size(), 1u);
  EXPECT_NE(r.problem.find("checksum"), std::string::npos) << r.problem;
}

}  // namespace
}  // namespace amnl::orch
