#include "common/recipe_config.h"
#include "orchestrator/rundir/run_dir.h"

#include "common/safe_path.h"

namespace amnl::orch {

std::string ledger_path(const std::string& run_dir) { return run_dir + "/ledger.jsonl"; }
std::string rank_log_path(const std::string& run_dir, int rank) {
  return run_dir + "/logs/rank" + std::to_string(rank) + ".log";
}
std::string rank_info_path(const std::string& run_dir, int rank) {
  return run_dir + "/ranks/rank" + std::to_string(rank) + ".json";
}

Status check_run_dir_entries(const std::string& run_dir) {
  for (const char* entry : {"ledger.jsonl", "outcome.json", "experiment.json", "session.lock", "status_url", "logs",
                            "ranks", "jobs", "results"})
    AMNL_RETURN_IF_ERROR(check_stays_inside(run_dir, run_dir + "/" + entry).with_context("run dir " + run_dir));
  return Status::Ok();
}

Status check_stored_experiment(const Storage& storage, const Experiment& e) {
  const std::string path = e.run_dir + "/experiment.json";
  auto bytes = storage.read(path);
  if (bytes.IsNotFound()) return Status::Ok();  // a new run dir: nothing to compare with
  if (!bytes) return bytes.status().with_context("run dir " + e.run_dir);
  auto stored = nlohmann::json::parse(*bytes, nullptr, false);
  if (stored.is_discarded() || !stored.is_object())
    return Status::Error("run dir " + e.run_dir + ": " + path + " is not valid JSON; refusing to reuse this run dir");
  nlohmann::json identity;
  for (const char* k : {"data_dir", "datasets", "seeds", "recipe", "threads_per_rank"})
    identity[k] = stored.value(k, nlohmann::json());
  const std::string diff = first_json_difference(identity, e.identity(), "").value_or("");
  if (!diff.empty()) {
    const std::string key = diff.size() > 1 && diff[0] == '.' ? diff.substr(1) : diff;
    return Status::Error("run dir " + e.run_dir + " was created by a different experiment (" +
                         stored.value("source_file", std::string("?")) + "): they differ at '" + key +
                         "'; use a new run_dir or the original experiment file");
  }
  return Status::Ok();
}

Status prepare_run_dir(Storage& storage, const Experiment& e) {
  AMNL_RETURN_IF_ERROR(check_run_dir_entries(e.run_dir));
  for (const char* sub : {"", "/logs", "/ranks", "/jobs"})
    AMNL_RETURN_IF_ERROR(storage.make_dirs(e.run_dir + sub));
  const std::string path = e.run_dir + "/experiment.json";
  if (!storage.exists(path))
    return storage.write_atomic(path, e.to_json().dump(2) + "\n").with_context("storing experiment");
  return check_stored_experiment(storage, e);
}

}  // namespace amnl::orch
