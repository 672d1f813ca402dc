#include <gtest/gtest.h>

#include "common/fault_injecting_storage.h"
#include "orchestrator/rundir/ledger.h"
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

// A crash at any byte of the last record leaves the earlier records readable, replay leaves the
// file as it is, and the ledger accepts new records after the cut, on a line of their own.
TEST(LedgerTest, TornTailAtEveryByteKeepsEveryRecordAndTheBytes) {
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
    EXPECT_EQ(test::read_file(path), prefix + last.substr(0, cut)) << "replay must not rewrite; cut " << cut;
    ASSERT_TRUE(ledger.append(json{{"event", "after"}}).ok());
    ASSERT_TRUE(ledger.append(json{{"event", "after2"}}).ok());
    auto again = ledger.replay();
    ASSERT_TRUE(again.ok());
    // Cut just before its newline, the last record is whole: once a line break follows, it counts.
    const size_t whole = cut == last.size() - 1 ? 1 : 0;
    ASSERT_EQ(again->records.size(), recs.size() + 1 + whole) << "cut " << cut;
    EXPECT_EQ(again->records[recs.size() - 1 + whole]["event"], "after");
    EXPECT_EQ(again->records.back()["event"], "after2");
  }
}

// Regression (data loss): a failed append left half a record, the next record landed on the
// same line, and replay dropped everything from there on, done jobs included. Now the torn
// bytes cost nothing but themselves, wherever the tear happened.
TEST(LedgerTest, RecordsAfterATornAppendSurviveAtEveryByte) {
  const auto recs = sample_records();
  const std::string torn = encode_ledger_record(json{{"event", "assigned"}, {"job", "FD002-s9"}, {"attempt", 4}});
  for (size_t cut = 1; cut + 1 < torn.size(); ++cut) {
    // What the old append path produced: record 0, a torn record, then records 1 and 2.
    const std::string bytes = encode_ledger_record(recs[0]) + torn.substr(0, cut) + encode_ledger_record(recs[1]) +
                              encode_ledger_record(recs[2]);
    const LedgerReplay r = decode_ledger(bytes);
    ASSERT_EQ(r.records.size(), 3u) << "cut " << cut << ": " << r.problem;
    EXPECT_EQ(r.records[0]["event"], "queued");
    EXPECT_EQ(r.records[1]["event"], "assigned");
    EXPECT_EQ(r.records[2]["event"], "done") << "cut " << cut;
    EXPECT_TRUE(r.truncated);
    EXPECT_EQ(r.skipped_bytes, cut) << "cut " << cut;
  }
}

TEST(LedgerTest, TornAppendThroughStorageCostsOnlyThatRecord) {
  test::TempDir dir;
  auto faulty = std::make_shared<FaultInjectingStorage>(make_posix_storage());
  Ledger ledger(faulty, dir / "ledger.jsonl");
  ASSERT_TRUE(ledger.append(sample_records()[0]).ok());
  faulty->tear_next_append(17);
  EXPECT_FALSE(ledger.append(sample_records()[1]).ok());
  ASSERT_TRUE(ledger.append(sample_records()[2]).ok());
  auto replay = ledger.replay();
  ASSERT_TRUE(replay.ok());
  ASSERT_EQ(replay->records.size(), 2u);
  EXPECT_EQ(replay->records[1]["event"], "done");
  EXPECT_TRUE(replay->truncated);
}

TEST(LedgerTest, CorruptRecordCostsOnlyItself) {
  const auto recs = sample_records();
  std::string bytes;
  for (const auto& r : recs) bytes += encode_ledger_record(r);
  // Flip one character inside the second record's JSON: its checksum no longer matches.
  const size_t second = encode_ledger_record(recs[0]).size();
  bytes[second + 20] ^= 0x01;
  LedgerReplay r = decode_ledger(bytes);
  EXPECT_TRUE(r.truncated);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1]["event"], "done");
  EXPECT_EQ(r.damaged_lines, 1);
  EXPECT_NE(r.problem.find("checksum"), std::string::npos) << r.problem;
}

TEST(LedgerTest, GarbageNeverCrashesAndValidLinesSurviveIt) {
  const std::string good = encode_ledger_record(json{{"event", "done"}, {"job", "X-s1"}});
  for (const std::string& junk : {std::string("\n\n"), std::string(5000, 'x'), std::string("00000000 {}"),
                                  std::string("deadbeef not json"), std::string("\0\0\0", 3), std::string("\xff\xfe")}) {
    const LedgerReplay r = decode_ledger(junk + "\n" + good + junk + "\n" + good);
    EXPECT_EQ(r.records.size(), 2u) << junk.size();
  }
}

}  // namespace
}  // namespace amnl::orch
