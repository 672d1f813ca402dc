#pragma once
// The clock and the statistics every benchmark reports with: wall time on the steady clock,
// medians over repeats (a median, unlike a mean, ignores the odd run the shared machine slowed).
#include <algorithm>
#include <chrono>
#include <vector>

namespace amnl::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
inline double ms_since(Clock::time_point start) { return 1000.0 * seconds_since(start); }

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace amnl::bench
