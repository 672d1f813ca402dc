#include "common/value_range.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace amnl {

std::string format_number(double v) {
  char text[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, v);
    if (std::strtod(text, nullptr) == v) break;
  }
  return text;
}

std::string IntRange::requirement(bool too_high) const {
  if (name_both_ends) return "must be in " + std::to_string(lo) + ".." + std::to_string(hi);
  return too_high ? "must be <= " + std::to_string(hi) : "must be >= " + std::to_string(lo);
}

std::string IntRange::violation(int64_t x) const {
  if (x < lo) return requirement(false);
  if (x > hi) return requirement(true);
  return "";
}

bool NumberRange::contains(double x) const {
  if (!std::isfinite(x)) return false;
  const bool above_lo = lo_open ? x > lo : x >= lo;
  const bool below_hi = hi_open ? x < hi : x <= hi;
  return above_lo && below_hi;
}

std::string NumberRange::lo_text() const { return (lo_open ? "> " : ">= ") + format_number(lo); }
std::string NumberRange::hi_text() const { return (hi_open ? "< " : "<= ") + format_number(hi); }

std::string NumberRange::violation(double x) const {
  if (contains(x)) return "";
  if (!std::isfinite(x)) return "must be finite";
  if (name_both_ends) {
    if (std::isinf(hi)) return "must be " + lo_text();
    return "must be " + lo_text() + " and " + hi_text();
  }
  const bool too_low = lo_open ? !(x > lo) : !(x >= lo);
  return "must be " + (too_low ? lo_text() : hi_text());
}

}  // namespace amnl
