#pragma once
// When the coordinator's "summary:" log line is worth writing. The summary timer fires every few
// seconds so that a change shows promptly, but a run lasts days: an unchanged summary every 10 s
// would bury the events that matter in the log (8,640 lines a day). So a summary is written when
// the counts change, and otherwise only every `quiet_interval_s` as a sign of life.
#include <string>

#include "orchestrator/policy/scheduler.h"

namespace amnl::orch {

class SummaryThrottle {
 public:
  explicit SummaryThrottle(double quiet_interval_s) : quiet_interval_s_(quiet_interval_s) {}
  // True (and remembered as printed) when `counts` differ from the last printed ones or the last
  // print is `quiet_interval_s` old; the first call is always true.
  bool should_print(const Counts& counts, double now);

 private:
  double quiet_interval_s_;
  bool printed_ = false;
  Counts last_;
  double last_time_ = 0;
};

// The line itself: "summary: 3 done, 2 running, 5 queued, 0 failed; 2 live / 0 lost workers;
// elapsed 0:10:00, ETA 0:25:00". The ETA is the run's by the one rule (run_eta.h) on the
// scheduler's facts, as `amnl status` shows it on the ledger's; durations in the one form
// (utc_time.h format_duration: "-" when unknown).
std::string summary_line(const Scheduler& scheduler, double elapsed_s);

}  // namespace amnl::orch
