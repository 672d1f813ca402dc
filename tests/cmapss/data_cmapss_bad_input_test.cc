// Every malformed input gives a Status naming the file, the line (where there is one) and the
// problem; nothing throws, aborts or crashes.
#include <gtest/gtest.h>

#include <sstream>

#include "common/cmapss/dataset.h"
#include "support/test_support.h"

namespace amnl::data {
namespace {

// A well-formed row; `replace` (if >= 0) swaps column `replace` (0-based) for `field`.
std::string row(int unit, int cycle, int replace = -1, const std::string& field = "") {
  std::ostringstream out;
  for (int c = 0; c < kFileColumns; ++c) {
    if (c) out << ' ';
    if (c == replace) out << field;
    else if (c == 0) out << unit;
    else if (c == 1) out << cycle;
    else out << 100 + c + cycle * 0.5;
  }
  out << "  \n";
  return out.str();
}

// Writes `content` to dir/name, reads it as a table and returns the error message ("" if ok).
std::string table_error(const test::TempDir& dir, const std::string& name, const std::string& content) {
  test::write_file(dir / name, content);
  Result<CmapssTable> t = read_cmapss_table(dir / name);
  return t.ok() ? "" : t.message();
}

void expect_mentions(const std::string& message, const std::vector<std::string>& parts) {
  ASSERT_FALSE(message.empty()) << "expected an error";
  for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message << "\nlacks: " << part;
}

TEST(CmapssBadInput, MissingFile) {
  test::TempDir dir;
  Result<CmapssTable> t = read_cmapss_table(dir / "train_X.txt");
  ASSERT_FALSE(t.ok());
  expect_mentions(t.message(), {"train_X.txt", "cannot open", "No such file"});
  Result<std::vector<double>> rul = read_rul_file(dir / "RUL_X.txt", 3);
  ASSERT_FALSE(rul.ok());
  expect_mentions(rul.message(), {"RUL_X.txt", "cannot open"});
}

TEST(CmapssBadInput, EmptyFiles) {
  test::TempDir dir;
  expect_mentions(table_error(dir, "train_E.txt", ""), {"train_E.txt", "empty"});
  expect_mentions(table_error(dir, "train_B.txt", "\n  \n"), {"train_B.txt", "empty"});
  test::write_file(dir / "RUL_E.txt", "");
  Result<std::vector<double>> rul = read_rul_file(dir / "RUL_E.txt", 2);
  ASSERT_FALSE(rul.ok());
  expect_mentions(rul.message(), {"RUL_E.txt", "empty"});
}

TEST(CmapssBadInput, WrongColumnCount) {
  test::TempDir dir;
  std::string short_row = row(1, 2);
  short_row = short_row.substr(0, short_row.rfind(' ', short_row.size() - 4)) + "\n";  // drop the last field
  expect_mentions(table_error(dir, "train_C.txt", row(1, 1) + short_row), {"train_C.txt:2:", "expected 26 columns", "found 25"});
  expect_mentions(table_error(dir, "train_D.txt", row(1, 1) + row(1, 2) + "1 3 7\n"), {"train_D.txt:3:", "found 3"});
}

TEST(CmapssBadInput, NonNumericNanAndInfiniteValues) {
  test::TempDir dir;
  expect_mentions(table_error(dir, "a.txt", row(1, 1) + row(1, 2, 7, "12.x")), {"a.txt:2:", "non-numeric", "'12.x'", "column 8"});
  expect_mentions(table_error(dir, "b.txt", row(1, 1, 4, "nan")), {"b.txt:1:", "NaN"});
  expect_mentions(table_error(dir, "c.txt", row(1, 1) + row(1, 2) + row(1, 3, 25, "-inf")), {"c.txt:3:", "infinite"});
  expect_mentions(table_error(dir, "d.txt", row(1, 1, 3, "1e999")), {"d.txt:1:", "out of range"});
  expect_mentions(table_error(dir, "e.txt", row(1, 1, 3, "1e300")), {"e.txt:1:", "out of range"});  // overflows a float
  expect_mentions(table_error(dir, "f.txt", row(1, 1, 0, "one")), {"f.txt:1:", "non-numeric", "unit id"});
  expect_mentions(table_error(dir, "g.txt", row(1, 1, 1, "1.5")), {"g.txt:1:", "cycle", "whole number"});
}

TEST(CmapssBadInput, CyclesMustIncreaseByOneAndUnitsBeContiguous) {
  test::TempDir dir;
  expect_mentions(table_error(dir, "gap.txt", row(1, 1) + row(1, 2) + row(1, 4)),
                  {"gap.txt:3:", "unit 1", "cycle 4 follows cycle 2", "increase by one"});
  expect_mentions(table_error(dir, "back.txt", row(1, 1) + row(1, 2) + row(1, 2)), {"back.txt:3:", "increase by one"});
  expect_mentions(table_error(dir, "start.txt", row(1, 1) + row(2, 5)), {"start.txt:2:", "unit 2 starts at cycle 5"});
  expect_mentions(table_error(dir, "split.txt", row(1, 1) + row(2, 1) + row(2, 2) + row(1, 1)),
                  {"split.txt:4:", "unit 1", "contiguous"});
}

TEST(CmapssBadInput, RulFileProblems) {
  test::TempDir dir;
  auto rul_error = [&](const std::string& name, const std::string& content, int units) {
    test::write_file(dir / name, content);
    Result<std::vector<double>> r = read_rul_file(dir / name, units);
    return r.ok() ? std::string() : r.message();
  };
  expect_mentions(rul_error("RUL_few.txt", "10\n20\n", 3), {"RUL_few.txt", "has 2 RUL values", "3 units", "line 3"});
  expect_mentions(rul_error("RUL_many.txt", "10\n20\n30\n", 2), {"RUL_many.txt", "has 3 RUL values", "2 units", "line 3"});
  expect_mentions(rul_error("RUL_text.txt", "10\nabc\n", 2), {"RUL_text.txt:2:", "non-numeric"});
  expect_mentions(rul_error("RUL_two.txt", "10 11\n", 1), {"RUL_two.txt:1:", "expected 1 column"});
  expect_mentions(rul_error("RUL_neg.txt", "-4\n", 1), {"RUL_neg.txt:1:", "negative"});
  expect_mentions(rul_error("RUL_nan.txt", "5\nNaN\n", 2), {"RUL_nan.txt:2:", "NaN"});
  test::write_file(dir / "RUL_ok.txt", "112 \n98 \n");  // the real files' style: trailing space
  Result<std::vector<double>> ok = read_rul_file(dir / "RUL_ok.txt", 2);
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_EQ(*ok, (std::vector<double>{112, 98}));
}

TEST(CmapssBadInput, PrepareRejectsNonPlainDatasetNames) {
  test::TempDir dir;
  for (const char* name : {"..", "../FD001", "/etc/FD001", "a/b", ""}) {
    Result<PreparedData> p = prepare_dataset(dir.path(), name, DataOptions{});
    ASSERT_FALSE(p.ok()) << name;
    expect_mentions(p.message(), {"dataset name"});
  }
}

TEST(CmapssBadInput, PrepareNamesTheFileThatIsWrong) {
  test::TempDir dir;
  std::string train;
  for (int u = 1; u <= 3; ++u)
    for (int c = 1; c <= 40; ++c) train += row(u, c);
  test::write_file(dir / "train_S.txt", train);
  Result<PreparedData> p = prepare_dataset(dir.path(), "S", DataOptions{});
  ASSERT_FALSE(p.ok());
  expect_mentions(p.message(), {"test_S.txt", "cannot open"});
  test::write_file(dir / "test_S.txt", row(1, 1) + row(1, 2) + row(2, 1));
  test::write_file(dir / "RUL_S.txt", "7\n");
  p = prepare_dataset(dir.path(), "S", DataOptions{});
  ASSERT_FALSE(p.ok());
  expect_mentions(p.message(), {"RUL_S.txt", "has 1 RUL values", "2 units"});
  test::write_file(dir / "RUL_S.txt", "7\n9\n");
  p = prepare_dataset(dir.path(), "S", DataOptions{});
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->test.size(), 2u);
  EXPECT_EQ(p->train.size() + p->val.size(), 3u * 11u);  // 40 - 30 + 1 windows per unit
}

}  // namespace
}  // namespace amnl::data
