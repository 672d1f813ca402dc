#include <gtest/gtest.h>

#include <filesystem>

#include "common/checksum.h"
#include "common/safe_path.h"
#include "support/test_support.h"

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

// Every kind of hostile name is refused, and the message shows it safely: at most ~40 bytes of it,
// control and non-ASCII bytes escaped, so a 4 KB or binary name cannot flood a log or make the
// JSON of an outcome file or ledger record unencodable.
TEST(SafePath, RefusesHostileNamesWithASafeMessage) {
  const std::vector<std::string> names = {
      "..", ".", "../x", "x/..", "/etc/passwd", "a/b", "a\\b", std::string(4096, 'a'), std::string(65, 'a'),
      std::string("a\x01b"), std::string("a\nb"), std::string("a\x7f"), std::string("FD\xff\xfe"),
      std::string("\xc3\xa9t\xc3\xa9"), std::string("a\0b", 3), "a b", "-", "~x", "$HOME", "a:b", "*"};
  for (const std::string& name : names) {
    if (name == "-") continue;  // a plain (if odd) name: refused by nothing, written as "-"
    Status st = check_plain_name(name, "dataset name");
    if (name == "~x" || name == "$HOME" || name == "a:b" || name == "*") {
      EXPECT_FALSE(st.ok()) << name;
      continue;
    }
    ASSERT_FALSE(st.ok()) << name;
    EXPECT_EQ(st.message().rfind("dataset name", 0), 0u) << st.message();
    EXPECT_LT(st.message().size(), 200u) << st.message();
    for (char c : st.message())
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte " << static_cast<int>(static_cast<unsigned char>(c))
                                          << " in: " << st.message();
  }
  Status st = check_plain_name(std::string("FD\xff"), "dataset name");
  EXPECT_NE(st.message().find("\\xff"), std::string::npos) << st.message();
}

TEST(SafePath, PrintableEscapesAndTruncates) {
  EXPECT_EQ(printable("FD001"), "'FD001'");
  EXPECT_EQ(printable(std::string("a\x01\xff")), "'a\\x01\\xff'");
  EXPECT_EQ(printable(std::string(100, 'x')), "'" + std::string(40, 'x') + "...' (100 bytes)");
}

namespace fs = std::filesystem;

TEST(SafePath, PathsInsideTheRootAreAccepted) {
  test::TempDir dir;
  fs::create_directories(dir / "jobs/FD001");
  EXPECT_TRUE(check_stays_inside(dir.path(), dir / "jobs/FD001/seed_1").ok());  // not there yet
  EXPECT_TRUE(check_stays_inside(dir.path(), dir / "jobs").ok());
  EXPECT_TRUE(check_stays_inside(dir.path(), dir.path()).ok());
  // A link that stays inside the root is harmless.
  fs::create_directory_symlink(dir / "jobs/FD001", dir / "jobs/alias");
  EXPECT_TRUE(check_stays_inside(dir.path(), dir / "jobs/alias/seed_1").ok());
}

// RUN_DIR/jobs/FD001 -> /tmp/elsewhere: nothing may be written through it.
TEST(SafePath, SymlinkLeadingOutsideTheRootIsRefusedNamingIt) {
  test::TempDir dir, elsewhere;
  fs::create_directories(dir / "jobs");
  fs::create_directory_symlink(elsewhere.path(), dir / "jobs/FD001");
  Status st = check_stays_inside(dir.path(), dir / "jobs/FD001/seed_1");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(dir / "jobs/FD001"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("symbolic link"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(elsewhere.path()), std::string::npos) << st.message();
  // A dangling link, and a link to a file outside, are refused the same way.
  fs::create_symlink(elsewhere / "not-there", dir / "jobs/FD002");
  EXPECT_FALSE(check_stays_inside(dir.path(), dir / "jobs/FD002/seed_1").ok());
  EXPECT_FALSE(check_stays_inside(dir.path(), dir / "jobs/FD002").ok());
  // A link chain that ends outside.
  fs::create_directory_symlink(dir / "jobs/FD001", dir / "jobs/chain");
  EXPECT_FALSE(check_stays_inside(dir.path(), dir / "jobs/chain/seed_1").ok());
}

TEST(SafePath, PathsLexicallyOutsideTheRootAreRefused) {
  test::TempDir dir;
  for (const std::string& p : {dir / "../x", std::string("/etc"), dir / "jobs/../../x"}) {
    Status st = check_stays_inside(dir.path(), p);
    EXPECT_FALSE(st.ok()) << p;
    EXPECT_NE(st.message().find("outside"), std::string::npos) << st.message();
  }
}

TEST(SafePath, PathTextMustBePrintableUtf8) {
  EXPECT_TRUE(check_path_text("/runs/exp-1/r\xc3\xa9sultats", "run_dir").ok());
  EXPECT_TRUE(check_path_text("relative/dir", "run_dir").ok());
  for (const std::string& p : {std::string(""), std::string("/a/\xff/b"), std::string("/a/\xc3"), std::string("/a\nb"),
                              std::string("/a\x01"), std::string("\xed\xa0\x80"), std::string("\xc0\xaf"),
                              "/" + std::string(5000, 'a')}) {
    Status st = check_path_text(p, "run_dir");
    ASSERT_FALSE(st.ok()) << p;
    EXPECT_EQ(st.message().rfind("run_dir", 0), 0u) << st.message();
    EXPECT_LT(st.message().size(), 200u);
    for (char c : st.message()) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << st.message();
  }
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
}

TEST(Checksum, MatchesKnownCrc32) {
  // The standard CRC-32 check value.
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32_hex(""), "00000000");
}

}  // namespace
}  // namespace amnl
