#include "orchestrator/policy/run_outcome.h"

#include "common/json_fields.h"
#include "common/exit_codes.h"
#include "orchestrator/rundir/ledger.h"

namespace amnl::orch {

const char* to_string(RunOutcome o) {
  switch (o) {
    case RunOutcome::kRunning: return "running";
    case RunOutcome::kComplete: return "complete";
    case RunOutcome::kFailed: return "failed";
    case RunOutcome::kPreempted: return "preempted";
    case RunOutcome::kIncomplete: return "incomplete";
    case RunOutcome::kRefused: return "refused";
  }
  return "?";
}

int exit_code_of(RunOutcome o) {
  switch (o) {
    case RunOutcome::kComplete: return kExitOk;
    case RunOutcome::kFailed: return kExitFailed;
    case RunOutcome::kRunning:
    case RunOutcome::kPreempted:
    case RunOutcome::kIncomplete: return kExitPreempted;
    case RunOutcome::kRefused: return kExitUsage;
  }
  return kExitFailed;
}

nlohmann::json make_outcome(RunOutcome o, const Scheduler& s, const std::string& run_dir,
                            const std::string& reason) {
  const Counts c = s.counts();
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& [id, j] : s.jobs())
    if (j.state == JobState::kFailed)
      failed.push_back({{"job", id}, {"reason", j.reason}, {"attempts", j.attempt}});
  nlohmann::json dead = nlohmann::json::array();
  for (const auto& [rank, w] : s.workers())
    if (w.state == WorkerState::kDead) dead.push_back(rank);
  const int total = static_cast<int>(s.jobs().size());
  return {{"outcome", to_string(o)},
          {"rerun", o == RunOutcome::kRunning || o == RunOutcome::kPreempted || o == RunOutcome::kIncomplete},
          {"exit_code", exit_code_of(o)},
          {"jobs", {{"total", total}, {"done", c.done}, {"failed", c.failed}, {"pending", total - c.done - c.failed}}},
          {"failed_jobs", failed},
          {"dead_ranks", dead},
          {"reason", reason},
          {"run_dir", run_dir},
          {"updated", utc_now_iso()}};
}

namespace {

// What a refusal keeps of the outcome it replaces: the last session that ran (a refusal replacing
// a refusal passes the older one's on). Known keys only, whatever else the file holds.
nlohmann::json last_session_of(const nlohmann::json& replaced) {
  if (!replaced.is_object()) return nullptr;
  const auto kind = replaced.find("outcome");
  if (kind == replaced.end() || !kind->is_string()) return nullptr;
  if (*kind == to_string(RunOutcome::kRefused)) {
    const auto older = replaced.find("last_session");
    if (older == replaced.end() || !older->is_object()) return nullptr;
    const auto older_kind = older->find("outcome");
    if (older_kind == older->end() || *older_kind == *kind) return nullptr;  // one level at most
    return last_session_of(*older);
  }
  nlohmann::json kept = nlohmann::json::object();
  for (const char* key : {"outcome", "exit_code", "rerun", "jobs", "reason", "updated"})
    if (const auto it = replaced.find(key); it != replaced.end()) kept[key] = *it;
  return kept;
}

}  // namespace

nlohmann::json make_refused_outcome(const std::string& run_dir, const std::string& reason,
                                    const nlohmann::json& replaced) {
  return {{"outcome", to_string(RunOutcome::kRefused)},
          {"rerun", false},
          {"exit_code", exit_code_of(RunOutcome::kRefused)},
          {"jobs", nullptr},
          {"failed_jobs", nlohmann::json::array()},
          {"dead_ranks", nlohmann::json::array()},
          {"reason", reason},
          {"run_dir", run_dir},
          {"updated", utc_now_iso()},
          {"last_session", last_session_of(replaced)}};
}

Status write_outcome(Storage& storage, const std::string& run_dir, const nlohmann::json& outcome) {
  return storage.write_atomic(run_dir + "/outcome.json", dump_lossy(outcome, 2) + "\n").with_context("writing outcome");
}

}  // namespace amnl::orch
