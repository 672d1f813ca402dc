#include "orchestrator/rundir/run_check.h"

#include <ostream>

#include <nlohmann/json.hpp>

#include "common/exit_codes.h"
#include "common/json_fields.h"
#include "common/storage.h"
#include "orchestrator/rundir/experiment.h"
#include "orchestrator/rundir/run_dir.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

// "new", or "resumes (N of M jobs done, last outcome O)" from the run dir's outcome.json.
std::string run_dir_state(const Storage& storage, const Experiment& e) {
  if (!storage.exists(e.run_dir + "/experiment.json")) return "new";
  std::string state = "resumes";
  auto bytes = storage.read(e.run_dir + "/outcome.json");
  const json outcome = bytes ? json::parse(*bytes, nullptr, /*allow_exceptions=*/false) : json();
  // Typed reads: a damaged outcome.json ("done": "x") must not throw out of the check.
  if (outcome.is_object() && outcome.contains("jobs") && outcome["jobs"].is_object()) {
    const json& jobs = outcome["jobs"];
    state += " (" + std::to_string(int64_or(jobs, "done", 0)) + " of " + std::to_string(int64_or(jobs, "total", 0)) +
             " jobs done, last outcome " + string_or(outcome, "outcome", "?") + ")";
  }
  return state;
}

}  // namespace

int run_check(const std::string& experiment_path, std::ostream& out, std::ostream& err) {
  // The same reading and the same run dir check as rank 0's (load_experiment, prepare_run_dir).
  const auto storage = make_posix_storage();
  auto exp = load_experiment(*storage, experiment_path);
  if (!exp) {
    err << "error: " << exp.message() << "\n";
    return kExitUsage;
  }
  if (Status same = check_stored_experiment(*storage, *exp); !same.ok()) {
    err << "error: " << same.message() << "\n";
    return kExitUsage;
  }
  out << "experiment: " << exp->file << "\n"
      << "jobs: " << exp->datasets.size() * exp->seeds.size() << " (" << exp->datasets.size() << " datasets x "
      << exp->seeds.size() << " seeds)\n"
      << "run_dir: " << exp->run_dir << "\n"
      << "data_dir: " << exp->data_dir << "\n"
      << "threads_per_rank: " << exp->threads_per_rank << (exp->threads_per_rank_set ? " (set)" : " (default)")
      << "\n"
      << "run_dir_state: " << run_dir_state(*storage, *exp) << "\n";
  return kExitOk;
}

}  // namespace amnl::orch
