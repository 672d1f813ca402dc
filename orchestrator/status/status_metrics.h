#pragma once
// GET /metrics: the status document (status_format.h) as Prometheus metrics, all prefixed amnl_:
// jobs by state, epochs, checkpoints, assignments, failures, workers by state, the heartbeat age
// of each live rank, each running job's epoch and best validation RMSE, the run's elapsed time
// and ETA. The checkpoint write time is not in the ledger, so it is not exported.
#include <string>

#include <nlohmann/json.hpp>

namespace amnl::orch {

std::string status_metrics_text(const nlohmann::json& status);

}  // namespace amnl::orch
