#pragma once
// What the coordinator tells the live views of a run (the status server, status/): every ledger
// record as it is appended, and each loop when every worker was last heard from. An interface
// of the policy layer, so the coordinator never includes the views it feeds.
#include <map>

#include <nlohmann/json.hpp>

#include "orchestrator/policy/scheduler.h"

namespace amnl::orch {

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // Thread-safe. A record without "time" (the ledger adds it on append) is stamped now.
  virtual void on_record(nlohmann::json record) = 0;
  // Thread-safe. When each worker was last heard from, in the coordinator's clock (`now` is that
  // clock's current time).
  virtual void observe_workers(const std::map<int, WorkerStatus>& workers, double now) = 0;
};

}  // namespace amnl::orch
