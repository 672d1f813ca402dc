#include "orchestrator/policy/summary_throttle.h"

#include <tuple>

#include "orchestrator/policy/run_eta.h"
#include "orchestrator/rundir/utc_time.h"

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

std::string summary_line(const Scheduler& scheduler, double elapsed_s) {
  const Counts c = scheduler.counts();
  auto n = [](int v) { return std::to_string(v); };
  return "summary: " + n(c.done) + " done, " + n(c.running) + " running, " + n(c.queued) + " queued, " + n(c.failed) +
         " failed; " + n(c.live_workers) + " live" +
         (c.excluded_workers ? " (" + n(c.excluded_workers) + " excluded)" : "") + " / " + n(c.dead_workers) +
         " lost workers; elapsed " + format_duration(elapsed_s) + ", ETA " +
         format_duration(run_eta_seconds(eta_facts(scheduler)));
}

}  // namespace amnl::orch
