#pragma once
// The values a config field may take, written as data, so that one declaration serves every
// reader of that field: the JSON reader (common/json_reader.h) checks a key against it, and a
// C++ options struct checked without JSON (data::check_options) checks a member against the same
// one. Each range says what is wrong with a value in one wording, "must be >= 1".
//
// A range names both ends ("must be in 1..100") when both are the field's real limits, and only
// the end a value broke ("must be >= 1") when the other end is a mere cap against absurd sizes.
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace amnl {

// The shortest text that reads back as `v` ("0.1", "3600", "1e-08").
std::string format_number(double v);

struct IntRange {
  int64_t lo = std::numeric_limits<int64_t>::min();
  int64_t hi = std::numeric_limits<int64_t>::max();
  bool name_both_ends = false;

  static constexpr IntRange at_least(int64_t lo) { return IntRange{lo, std::numeric_limits<int64_t>::max(), false}; }
  // Both ends are the field's limits, named together: "must be in 1..100".
  static constexpr IntRange between(int64_t lo, int64_t hi) { return IntRange{lo, hi, true}; }
  // A cap against absurd values, named only when broken: "must be <= 10000".
  constexpr IntRange at_most(int64_t cap) const { return IntRange{lo, cap, name_both_ends}; }

  bool contains(int64_t x) const { return x >= lo && x <= hi; }
  // What a value below lo (too_high false) or above hi (true) is told: "must be >= 1".
  std::string requirement(bool too_high) const;
  // "" when `x` is in range, else requirement() for the end it broke.
  std::string violation(int64_t x) const;
};

struct NumberRange {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;
  bool name_both_ends = false;

  static constexpr NumberRange at_least(double lo) { return NumberRange{lo, kInf, false, false, false}; }
  static constexpr NumberRange above(double lo) { return NumberRange{lo, kInf, true, false, false}; }
  constexpr NumberRange at_most(double v) const { return NumberRange{lo, v, lo_open, false, name_both_ends}; }
  constexpr NumberRange below(double v) const { return NumberRange{lo, v, lo_open, true, name_both_ends}; }
  // Both ends named in every message: "must be > 0 and <= 3600".
  constexpr NumberRange named_whole() const { return NumberRange{lo, hi, lo_open, hi_open, true}; }

  // Finite and inside; NaN and infinities never are.
  bool contains(double x) const;
  // "" when `x` is in range; "must be finite" or the requirement of the end it broke otherwise.
  std::string violation(double x) const;

 private:
  static constexpr double kInf = std::numeric_limits<double>::infinity();
  std::string lo_text() const;
  std::string hi_text() const;
};

// The words a string field may be: "must be one of \"a\", \"b\"".
template <size_t N>
struct Choices {
  std::array<std::string_view, N> names;
  bool contains(std::string_view s) const {
    for (std::string_view n : names)
      if (n == s) return true;
    return false;
  }
  std::string requirement() const {
    std::string list;
    for (std::string_view n : names) list += (list.empty() ? "\"" : ", \"") + std::string(n) + "\"";
    return "must be one of " + list;
  }
};

// A named field with its default and the values it may take: declared once (e.g. the data
// options, common/cmapss/data_option_fields.h), read from JSON and checked in C++ with it.
template <typename T>
struct IntField {
  const char* key;
  T fallback;
  IntRange range;
};
struct NumberField {
  const char* key;
  double fallback;
  NumberRange range;
};
template <size_t N>
struct ChoiceField {
  const char* key;
  const char* fallback;
  Choices<N> choices;
};

}  // namespace amnl
