#include "orchestrator/policy/summary_throttle.h"

#include <tuple>

namespace amnl::orch {
namespace {

auto as_tuple(const Counts& c) {
  return std::tie(c.done, c.failed, c.running, c.queued, c.live_workers, c.dead_workers, c.excluded_workers);
}

}  // namespace

bool SummaryThrottle::should_print(const Counts& counts, double now) {
  const bool changed = !printed_ || as_tuple(counts) != as_tuple(last_);
  if (!changed && now - last_time_ < quiet_interval_s_) return false;
  printed_ = true;
  last_ = counts;
  last_time_ = now;
  return true;
}

}  // namespace amnl::orch
