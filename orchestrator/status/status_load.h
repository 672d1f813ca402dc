#pragma once
// Reads a run dir for `amnl status`, changing nothing: ledger.jsonl (decoded from its bytes, never
// through Ledger::replay), experiment.json (the job list), ranks/rank<N>.json (pid, host) and
// outcome.json. Works while the run is live and after it ended.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/storage.h"
#include "orchestrator/status/status_model.h"

namespace amnl::orch {

// ranks/rank<N>.json of every rank that has one; a file that cannot be read or is not a JSON
// object is left out, and `problems` gets a line that names it.
std::map<int, RankInfo> read_rank_infos(const Storage& storage, const std::string& run_dir,
                                        std::vector<std::string>& problems);

// `model`'s status document at wall-clock time `now` (Unix seconds), completed from the run dir's
// side files: ranks/ (hosts, pids) and outcome.json; `warnings` lists files that could not be read.
nlohmann::json status_document(StatusModel model, const Storage& storage, const std::string& run_dir, double now,
                               nlohmann::json warnings = nlohmann::json::array());

// The status document (status_format.h) at wall-clock time `now` (Unix seconds), with "run_dir"
// and "warnings" (files that could not be read). Errors only when `run_dir` is not a run dir.
Result<nlohmann::json> load_run_status(const Storage& storage, const std::string& run_dir, double now);

}  // namespace amnl::orch
