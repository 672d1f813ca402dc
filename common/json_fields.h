#pragma once
// Reading fields of JSON that came from outside (worker messages, ledger records of earlier
// sessions, checkpoint manifests) without exceptions or undefined behaviour.
// nlohmann::json::value(key, default) throws type_error when the field exists with another
// type, and get<int>() on 1e300 or 2^40 converts out of range (undefined behaviour for a
// double): both were found by bench/fuzz. These return nullopt / the fallback instead.
//
// This is the lenient half, for records other processes wrote: a damaged or newer record is read
// as far as it goes. Input a person wrote (an experiment file, a recipe), where every mistake
// must be refused naming its key, goes through the strict half, JsonSection (json_reader.h).
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace amnl {

// The field as a whole number in [lo, hi]; nullopt when missing, not an integer (1.5, "7", true)
// or out of range.
inline std::optional<int64_t> int_field(const nlohmann::json& j, const char* key,
                                        int64_t lo = std::numeric_limits<int64_t>::min(),
                                        int64_t hi = std::numeric_limits<int64_t>::max()) {
  if (!j.is_object()) return std::nullopt;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const uint64_t u = it->get<uint64_t>();
    if (hi < 0 || u > static_cast<uint64_t>(hi)) return std::nullopt;
    const auto v = static_cast<int64_t>(u);
    return v < lo ? std::nullopt : std::optional<int64_t>(v);
  }
  const int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

inline int int_or(const nlohmann::json& j, const char* key, int fallback) {
  return static_cast<int>(int_field(j, key, std::numeric_limits<int>::min(), std::numeric_limits<int>::max())
                              .value_or(fallback));
}
inline int64_t int64_or(const nlohmann::json& j, const char* key, int64_t fallback) {
  return int_field(j, key).value_or(fallback);
}
// A finite number (integer or not); the fallback otherwise.
inline double double_or(const nlohmann::json& j, const char* key, double fallback) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return fallback;
  const double v = it->get<double>();
  return std::isfinite(v) ? v : fallback;
}
inline std::string string_or(const nlohmann::json& j, const char* key, const std::string& fallback) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}
inline nlohmann::json object_or_empty(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nlohmann::json::object();
  const auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : nlohmann::json::object();
}

// dump() that never throws: invalid UTF-8 in a string becomes U+FFFD instead of type_error 316.
inline std::string dump_lossy(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace amnl
