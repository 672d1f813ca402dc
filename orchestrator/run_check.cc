#include "common/recipe_config.h"
#include "orchestrator/run_check.h"

#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/exit_codes.h"
#include "orchestrator/experiment.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

json read_json_file(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  ok = in.good() || in.eof();
  ok = ok && !j.is_discarded();
  return j;
}

// The same comparison rank 0 makes before it reuses a run dir (prepare_run_dir), read-only.
std::string check_run_dir(const Experiment& e, std::string& state) {
  namespace fs = std::filesystem;
  const std::string path = e.run_dir + "/experiment.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    state = "new";
    return "";
  }
  bool ok = false;
  json stored = read_json_file(path, ok);
  if (!ok || !stored.is_object())
    return "run dir " + e.run_dir + ": " + path + " is not valid JSON; refusing to reuse this run dir";
  json identity;
  for (const char* k : {"data_dir", "datasets", "seeds", "recipe", "threads_per_rank"})
    identity[k] = stored.value(k, json());
  const std::string diff = first_json_difference(identity, e.identity(), "").value_or("");
  if (!diff.empty()) {
    const std::string key = diff.size() > 1 && diff[0] == '.' ? diff.substr(1) : diff;
    return "run dir " + e.run_dir + " was created by a different experiment (" +
           stored.value("source_file", std::string("?")) + "): they differ at '" + key +
           "'; use a new run_dir or the original experiment file";
  }
  state = "resumes";
  bool outcome_ok = false;
  const json outcome = read_json_file(e.run_dir + "/outcome.json", outcome_ok);
  if (outcome_ok && outcome.is_object() && outcome.contains("jobs") && outcome["jobs"].is_object()) {
    state += " (" + std::to_string(outcome["jobs"].value("done", 0)) + " of " +
             std::to_string(outcome["jobs"].value("total", 0)) + " jobs done, last outcome " +
             outcome.value("outcome", std::string("?")) + ")";
  }
  return "";
}

}  // namespace

int run_check(const std::string& experiment_path, std::ostream& out, std::ostream& err) {
  auto exp = load_experiment(experiment_path);
  if (!exp) {
    err << "error: " << exp.message() << "\n";
    return kExitUsage;
  }
  // Whether the file itself fixes threads_per_rank (a batch script may fill it in otherwise).
  bool ok = false;
  const json raw = read_json_file(experiment_path, ok);
  const bool threads_set = ok && raw.is_object() && raw.contains("threads_per_rank");
  std::string state;
  const std::string problem = check_run_dir(*exp, state);
  if (!problem.empty()) {
    err << "error: " << problem << "\n";
    return kExitUsage;
  }
  out << "experiment: " << exp->file << "\n"
      << "jobs: " << exp->datasets.size() * exp->seeds.size() << " (" << exp->datasets.size() << " datasets x "
      << exp->seeds.size() << " seeds)\n"
      << "run_dir: " << exp->run_dir << "\n"
      << "data_dir: " << exp->data_dir << "\n"
      << "threads_per_rank: " << exp->threads_per_rank << (threads_set ? " (set)" : " (default)") << "\n"
      << "run_dir_state: " << state << "\n";
  return kExitOk;
}

}  // namespace amnl::orch
