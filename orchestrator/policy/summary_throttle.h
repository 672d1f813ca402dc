#pragma once
// When the coordinator's "summary:" log line is worth writing. The summary timer fires every few
// seconds so that a change shows promptly, but a run lasts days: an unchanged summary every 10 s
// would bury the events that matter in the log (8,640 lines a day). So a summary is written when
// the counts change, and otherwise only every `quiet_interval_s` as a sign of life.
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

}  // namespace amnl::orch
