// Hostile C-MAPSS bytes (bench/fuzz/fuzz_cmapss): binary or non-UTF-8 fields give an error naming
// the file and line whose text is printable ASCII. A raw 0xff used to be copied into the message;
// the worker then sent it in its result, and nlohmann::json::dump() throws on non-UTF-8.
#include <gtest/gtest.h>

#include <sstream>

#include "common/cmapss/dataset.h"
#include "common/cmapss/parse.h"

namespace amnl::data {
namespace {

std::string row(int unit, int cycle, const std::string& column3 = "100.0") {
  std::ostringstream out;
  out << unit << ' ' << cycle << ' ' << column3;
  for (int c = 3; c < kFileColumns; ++c) out << ' ' << 100 + c;
  out << "\n";
  return out.str();
}

void expect_printable(const std::string& message) {
  for (char c : message)
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte " << static_cast<int>(static_cast<unsigned char>(c))
                                        << " in: " << message;
}

TEST(CmapssHostile, NonUtf8AndControlBytesAreEscapedInMessages) {
  for (const std::string& field : {std::string("\xff\xfe"), std::string("1.\xc3"), std::string("\x1b[31m"),
                                  std::string("\xe2\x82\xac")}) {
    auto t = parse_cmapss_table(row(1, 1) + row(1, 2, field), "train_X.txt");
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.message().rfind("train_X.txt:2: ", 0), 0u) << t.message();
    EXPECT_NE(t.message().find("column 3"), std::string::npos) << t.message();
    expect_printable(t.message());
  }
  auto rul = parse_rul_text("12\n\xff\n", "RUL_X.txt", 2);
  ASSERT_FALSE(rul.ok());
  EXPECT_EQ(rul.message().rfind("RUL_X.txt:2: ", 0), 0u) << rul.message();
  expect_printable(rul.message());
}

TEST(CmapssHostile, ParsesFromMemoryLikeFromAFile) {
  auto t = parse_cmapss_table(row(1, 1) + row(1, 2) + row(2, 1), "mem");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->rows(), 3u);
  EXPECT_EQ(t->num_units(), 2);
  EXPECT_EQ(t->path, "mem");
}

// A unit id and cycle near INT_MAX must not overflow the "cycles increase by one" check.
TEST(CmapssHostile, ExtremeIntegersAreRefusedCleanly) {
  auto t = parse_cmapss_table(row(2147483647, 1) + row(2147483647, 2147483647), "x");
  ASSERT_FALSE(t.ok());
  expect_printable(t.message());
  t = parse_cmapss_table(row(1, 1, "1e39"), "x");  // a double, but no float
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.message().find("out of range"), std::string::npos) << t.message();
}

}  // namespace
}  // namespace amnl::data
