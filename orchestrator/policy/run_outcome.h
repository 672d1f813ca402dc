#pragma once
// <run_dir>/outcome.json: how the run ended, for scripts. mpirun's own exit status says nothing
// under --enable-recovery, so the sbatch script and the user read this file instead.
//   {"outcome": "running"|"complete"|"failed"|"preempted"|"incomplete"|"refused",
//    "rerun": bool,          // true: rerunning the same command resumes and may finish
//    "exit_code": int,       // what `amnl run` exits with (0, 1, 75)
//    "jobs": {"total","done","failed","pending"},
//    "failed_jobs": [{"job","reason","attempts"}], "dead_ranks": [..], "reason": "...",
//    "run_dir": "...", "updated": "<UTC>"}
// "running" is written at start: found after the run, it means the coordinator itself died.
// "refused": this session could not start (a different experiment's run dir, an unreadable
// ledger); exit_code 2 and rerun false, since the same command would be refused again. It keeps
// the outcome it replaces under "last_session" (outcome, exit_code, rerun, jobs, reason, updated),
// so that a refused resubmission never hides that the run dir's own run was complete, or not.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/storage.h"
#include "orchestrator/policy/scheduler.h"

namespace amnl::orch {

enum class RunOutcome { kRunning, kComplete, kFailed, kPreempted, kIncomplete, kRefused };
const char* to_string(RunOutcome o);
int exit_code_of(RunOutcome o);

nlohmann::json make_outcome(RunOutcome o, const Scheduler& s, const std::string& run_dir,
                            const std::string& reason);
// `replaced`: the outcome.json found in the run dir (null when none or unreadable).
nlohmann::json make_refused_outcome(const std::string& run_dir, const std::string& reason,
                                    const nlohmann::json& replaced = nullptr);
Status write_outcome(Storage& storage, const std::string& run_dir, const nlohmann::json& outcome);

}  // namespace amnl::orch
