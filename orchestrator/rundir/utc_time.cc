#include "orchestrator/rundir/utc_time.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace amnl::orch {

double parse_utc_iso(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, n = 0;
  double sec = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
      n != static_cast<int>(s.size()) - 1 || s.back() != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 ||
      h > 23 || mi > 59 || !(sec >= 0 && sec < 61))
    return NAN;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<double>(timegm(&tm)) + sec;
}

namespace {

std::string format_utc(std::time_t whole_seconds, int ms) {
  std::tm tm{};
  gmtime_r(&whole_seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

}  // namespace

std::string format_utc_iso(double unix_seconds) {
  if (!std::isfinite(unix_seconds)) return "";
  const auto whole = static_cast<std::time_t>(std::floor(unix_seconds));
  return format_utc(whole, static_cast<int>((unix_seconds - static_cast<double>(whole)) * 1000) % 1000);
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string utc_now_iso() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
  return format_utc(static_cast<std::time_t>(ms / 1000), static_cast<int>(ms % 1000));
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const long t = static_cast<long>(seconds + 0.5);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  return buf;
}

}  // namespace amnl::orch
