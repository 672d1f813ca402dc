#include <gtest/gtest.h>

#include "common/checksum.h"
#include "common/safe_path.h"

namespace amnl {
namespace {

TEST(SafePath, AcceptsPlainNames) {
  for (const char* name : {"FD001", "my_set-2", "a.b"}) EXPECT_TRUE(check_plain_name(name, "dataset name").ok()) << name;
}

TEST(SafePath, RejectsTraversalSeparatorsAndAbsolutePaths) {
  for (const char* name : {"..", "../x", "/etc", "a/b", ".hidden", "", "a\\b", "a b"}) {
    Status st = check_plain_name(name, "dataset name");
    EXPECT_FALSE(st.ok()) << name;
    EXPECT_NE(st.message().find("dataset name"), std::string::npos) << st.message();
  }
  EXPECT_FALSE(child_path("/runs", "..", "run name").ok());
  EXPECT_EQ(*child_path("/runs", "r1", "run name"), "/runs/r1");
}

TEST(Checksum, MatchesKnownCrc32) {
  // The standard CRC-32 check value.
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32_hex(""), "00000000");
}

}  // namespace
}  // namespace amnl
