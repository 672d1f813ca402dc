#pragma once
// The run directory's fixed layout and its identity check. A run dir belongs to one experiment:
// <run_dir>/experiment.json holds the resolved experiment that created it, and a rerun with a
// different one (other datasets, seeds, recipe, data dir or threads) is refused, naming the key.
//   experiment.json  ledger.jsonl  outcome.json  logs/rank<N>.log  ranks/rank<N>.json
//   jobs/<dataset>/seed_<seed>/{lease.json, checkpoints/, ...}
#include <string>

#include "common/status.h"
#include "common/storage.h"
#include "orchestrator/rundir/experiment.h"

namespace amnl::orch {

std::string ledger_path(const std::string& run_dir);
std::string rank_log_path(const std::string& run_dir, int rank);
std::string rank_info_path(const std::string& run_dir, int rank);

// Refuses a run dir whose fixed entries (ledger, outcome, logs/, jobs/, ...) are symbolic links
// leading outside it: nothing is ever written through them. Call before writing anything.
Status check_run_dir_entries(const std::string& run_dir);

// Ok when <run_dir>/experiment.json is absent (a new run dir) or was stored by the same
// experiment (Experiment::identity); the error names the first key that differs. Read-only:
// rank 0 checks before reusing a run dir, `amnl run --check` before anything is queued.
Status check_stored_experiment(const Storage& storage, const Experiment& e);

// Creates the layout; stores experiment.json on first use, else checks it is the same experiment.
Status prepare_run_dir(Storage& storage, const Experiment& e);

}  // namespace amnl::orch
