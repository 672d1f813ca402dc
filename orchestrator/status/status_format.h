#pragma once
// Renders a status document (StatusModel::snapshot, amended by load_run_status) for people:
// a table in the style of squeue, one job per line, then totals, dead ranks and the outcome.
// The JSON document itself is the machine format (`amnl status --json`, GET /status.json):
//   {"now", "state": "not started"|"running"|"ended", "session": {id, number, started, ended,
//    outcome, reason, draining}, "coordinator": {pid, host, alive}, "elapsed_s", "eta_s",
//    "totals": {jobs, queued, running, done, failed, preempted, workers_alive, workers_dead,
//               workers_left, epochs_completed, checkpoints, assignments, attempt_failures,
//               worker_deaths, preemptions, sessions},
//    "dead_ranks": [..], "jobs": [{job, state, attempt, rank, host, epoch, max_epochs, val_rmse,
//    best_val_rmse, epoch_seconds, elapsed_s, eta_s, failures, checkpoint_epoch, test_rmse,
//    reason}], "ranks": [{rank, state, job, attempt, host, pid, heartbeat_age_s, reason}],
//    "ledger": {records, damaged_lines, problem}, "outcome": outcome.json or null, "run_dir"}
// Unknown numbers are null (never NaN).
#include <string>

#include <nlohmann/json.hpp>

namespace amnl::orch {

std::string format_status_table(const nlohmann::json& status);
// The document as sent to scripts: invalid UTF-8 in free-text fields is replaced, never thrown.
std::string dump_status_json(const nlohmann::json& status, int indent = -1);

}  // namespace amnl::orch
