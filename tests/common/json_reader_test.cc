// JsonSection: the one strict reader of JSON a person wrote (recipes, experiment files).
#include <gtest/gtest.h>

#include "common/json_reader.h"

namespace amnl {
namespace {

using nlohmann::json;

// Reads `text` as a section at `path` with `read`, and returns its first error ("" when none).
template <typename Read>
std::string error_of(const std::string& text, const std::string& path, Read read) {
  const json j = json::parse(text);
  JsonSection s(&j, path);
  read(s);
  if (!s.failed()) return "";
  EXPECT_TRUE(s.status().IsInvalidArgument()) << s.status().message();
  return s.status().message();
}

TEST(JsonSection, ReadsFieldsAndKeepsDefaultsOfAbsentOnes) {
  const json j = json::parse(R"({"n": 4, "x": 0.5, "mode": "b", "name": "run", "list": [1, 2]})");
  JsonSection s(&j, "top");
  int n = 1, absent = 7;
  double x = 0;
  std::string mode = "a", name;
  std::vector<int> list;
  s.integer("n", n, IntRange::at_least(1));
  s.integer("absent", absent, IntRange::at_least(1));
  s.number("x", x, NumberRange::at_least(0).below(1));
  s.choice("mode", mode, Choices<2>{{"a", "b"}});
  s.string("name", name, true);
  s.int_list("list", list, IntRange::between(1, 4), IntRange::at_least(1));
  s.reject_unknown();
  ASSERT_FALSE(s.failed()) << s.status().message();
  EXPECT_EQ(n, 4);
  EXPECT_EQ(absent, 7);
  EXPECT_EQ(x, 0.5);
  EXPECT_EQ(mode, "b");
  EXPECT_EQ(name, "run");
  EXPECT_EQ(list, (std::vector<int>{1, 2}));
}

TEST(JsonSection, ErrorsNameTheKeyPathAndWhatIsWrong) {
  int i = 0;
  double d = 0;
  std::string s;
  EXPECT_EQ(error_of(R"({"n": 0})", "recipe.model", [&](JsonSection& r) { r.integer("n", i, IntRange::at_least(1)); }),
            "recipe.model.n: must be >= 1, got 0");
  EXPECT_EQ(error_of(R"({"n": 0})", "", [&](JsonSection& r) { r.integer("n", i, IntRange::between(1, 100)); }),
            "n: must be in 1..100, got 0");
  EXPECT_EQ(error_of(R"({"n": 18446744073709551615})", "r",
                     [&](JsonSection& r) { r.integer("n", i, IntRange::at_least(1).at_most(10)); }),
            "r.n: must be <= 10, got 18446744073709551615");
  EXPECT_EQ(error_of(R"({"n": 1.5})", "r", [&](JsonSection& r) { r.integer("n", i, IntRange::at_least(1)); }),
            "r.n: must be an integer, got 1.5");
  EXPECT_EQ(error_of(R"({"x": -1})", "fault",
                     [&](JsonSection& r) { r.number("x", d, NumberRange::above(0).at_most(3600).named_whole()); }),
            "fault.x: must be > 0 and <= 3600, got -1");
  EXPECT_EQ(error_of(R"({"x": 1})", "r", [&](JsonSection& r) { r.number("x", d, NumberRange::at_least(0).below(1)); }),
            "r.x: must be < 1, got 1");
  EXPECT_EQ(error_of(R"({"x": "1"})", "r", [&](JsonSection& r) { r.number("x", d, NumberRange::at_least(0)); }),
            "r.x: must be a number, got \"1\"");
  EXPECT_EQ(error_of(R"({"m": "c"})", "r", [&](JsonSection& r) { r.choice("m", s, Choices<2>{{"a", "b"}}); }),
            "r.m: must be one of \"a\", \"b\", got \"c\"");
  EXPECT_EQ(error_of(R"({})", "", [&](JsonSection& r) { r.string("run_dir", s, true); }),
            "run_dir: missing (required)");
  EXPECT_EQ(error_of(R"({"sub": 3})", "r", [&](JsonSection& r) { r.section("sub"); }),
            "r.sub: must be an object, got 3");
  std::vector<int> list;
  EXPECT_EQ(error_of(R"({"l": [1, 0]})", "m",
                     [&](JsonSection& r) { r.int_list("l", list, IntRange::between(1, 4), IntRange::between(1, 9)); }),
            "m.l[1]: must be in 1..9, got 0");
}

TEST(JsonSection, UnknownKeysAreRefusedAfterTheDeclaredOnesAndTheFirstErrorWins) {
  const json j = json::parse(R"({"a": 1, "sub": {"b": 0, "typo": 1}, "zzz": 2})");
  JsonSection root(&j, "recipe");
  int a = 0, b = 5;
  root.integer("a", a, IntRange::at_least(1));
  JsonSection sub = root.section("sub");
  sub.integer("b", b, IntRange::at_least(1));  // the first error
  sub.reject_unknown();
  root.reject_unknown();
  EXPECT_EQ(root.status().message(), "recipe.sub.b: must be >= 1, got 0");
  EXPECT_EQ(b, 5) << "a refused value leaves the default";
  EXPECT_TRUE(root.status().IsInvalidArgument());

  JsonSection declared(&j, "");
  declared.declare({"a", "sub"});
  declared.reject_unknown();
  EXPECT_EQ(declared.status().message(), "zzz: unknown key (known: a, sub)");
}

TEST(JsonSection, AnAbsentSectionReadsNothingAndRefusesNothing) {
  const json j = json::object();
  JsonSection root(&j, "recipe");
  JsonSection absent = root.section("model");
  int n = 3;
  absent.integer("n", n, IntRange::at_least(5));
  absent.reject_unknown();
  EXPECT_FALSE(root.failed());
  EXPECT_EQ(n, 3);
}

TEST(ValueRange, NumbersAreFormattedShortestAndNonFiniteIsRefused) {
  EXPECT_EQ(format_number(0.1), "0.1");
  EXPECT_EQ(format_number(3600), "3600");
  EXPECT_EQ(format_number(1e-8), "1e-08");
  EXPECT_EQ(NumberRange::above(0).violation(std::numeric_limits<double>::quiet_NaN()), "must be finite");
  EXPECT_EQ(NumberRange::above(0).violation(std::numeric_limits<double>::infinity()), "must be finite");
  EXPECT_EQ(NumberRange::above(0).violation(1), "");
}

}  // namespace
}  // namespace amnl
