#include "orchestrator/status/status_load.h"

#include "common/hostname.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "orchestrator/rundir/job_id.h"
#include "orchestrator/rundir/ledger.h"
#include "orchestrator/rundir/run_dir.h"

namespace amnl::orch {

using nlohmann::json;

std::map<int, RankInfo> read_rank_infos(const Storage& storage, const std::string& run_dir,
                                        std::vector<std::string>& problems) {
  std::map<int, RankInfo> infos;
  auto files = storage.list_files(run_dir + "/ranks");
  if (!files) return infos;  // before the first session there is no ranks/ yet
  for (const std::string& f : *files) {
    int rank = -1;
    char tail = 0;
    if (std::sscanf(f.c_str(), "rank%d.jso%c", &rank, &tail) != 2 || tail != 'n' || rank < 0 ||
        f != "rank" + std::to_string(rank) + ".json")
      continue;
    const std::string path = run_dir + "/ranks/" + f;
    auto bytes = storage.read(path);
    if (!bytes) {
      problems.push_back(path + ": " + bytes.message() + "; rank " + std::to_string(rank) + "'s host is unknown");
      continue;
    }
    const json j = json::parse(*bytes, nullptr, false);
    if (!j.is_object()) {
      problems.push_back(path + ": not a JSON object; rank " + std::to_string(rank) + "'s host is unknown");
      continue;
    }
    RankInfo info;
    if (j.contains("pid") && j["pid"].is_number_integer()) info.pid = j["pid"].get<long>();
    if (j.contains("host") && j["host"].is_string()) info.host = j["host"].get<std::string>();
    infos[rank] = info;
  }
  return infos;
}

namespace {

// outcome.json's content, or null (absent, or unreadable: then a warning names it).
json read_outcome(const Storage& storage, const std::string& run_dir, json& warnings) {
  const std::string outcome_file = run_dir + "/outcome.json";
  // Absent while the run is on; read, not asked for first, so a run ending in between is seen.
  auto bytes = storage.read(outcome_file);
  if (bytes.IsNotFound()) return nullptr;
  if (!bytes) {
    warnings.push_back(outcome_file + ": " + bytes.message());
    return nullptr;
  }
  json outcome = json::parse(*bytes, nullptr, false);
  if (outcome.is_object()) return outcome;
  warnings.push_back(outcome_file + ": unreadable or not a JSON object");
  return nullptr;
}

// The planned jobs (experiment.json's datasets x seeds) into `model`, so that a job shows
// before its first record.
void add_planned_jobs(const Storage& storage, const std::string& experiment_file, StatusModel& model,
                      json& warnings) {
  auto bytes = storage.read(experiment_file);
  if (bytes.IsNotFound()) return;
  if (!bytes) {
    warnings.push_back(experiment_file + ": " + bytes.message() + "; jobs are taken from the ledger");
    return;
  }
  const json e = json::parse(*bytes, nullptr, false);
  const json datasets = e.is_object() ? e.value("datasets", json()) : json();
  const json seeds = e.is_object() ? e.value("seeds", json()) : json();
  if (!datasets.is_array() || !seeds.is_array()) {
    warnings.push_back(experiment_file + ": unreadable or without datasets/seeds; jobs are taken from the ledger");
    return;
  }
  for (const json& d : datasets)
    for (const json& s : seeds)
      if (d.is_string() && s.is_number_integer()) model.add_job(job_id(JobKey{d.get<std::string>(), s.get<int64_t>()}));
}

}  // namespace

json status_document(StatusModel model, const Storage& storage, const std::string& run_dir, double now,
                     json warnings) {
  std::vector<std::string> rank_problems;
  const std::map<int, RankInfo> infos = read_rank_infos(storage, run_dir, rank_problems);
  for (const auto& [rank, info] : infos) model.set_rank_info(rank, info);
  for (const std::string& p : rank_problems) warnings.push_back(p);
  const json outcome = read_outcome(storage, run_dir, warnings);
  json doc = model.snapshot(now, outcome);
  doc["run_dir"] = run_dir;
  // After a crash of rank 0 the ledger still says "running": say so when we can tell (same host).
  if (doc["coordinator"].is_object()) {
    json& c = doc["coordinator"];
    c["alive"] = nullptr;
    if (doc["state"] == "running" && c.value("host", "") == hostname() && c.value("pid", 0L) > 0)
      c["alive"] = !(::kill(static_cast<pid_t>(c.value("pid", 0L)), 0) != 0 && errno == ESRCH);
  }
  doc["warnings"] = warnings;
  return doc;
}

Result<json> load_run_status(const Storage& storage, const std::string& run_dir, double now) {
  // Through the storage seam like every read of the run dir: a directory is what can be listed.
  if (auto listing = storage.list_files(run_dir); !listing)
    return Result<json>::Error("run dir " + run_dir + " does not exist (or is not a directory): " + listing.message());
  const std::string ledger_file = ledger_path(run_dir);
  const std::string experiment_file = run_dir + "/experiment.json";
  if (!storage.exists(ledger_file) && !storage.exists(experiment_file))
    return Result<json>::Error(run_dir + " is not an amnl run dir: it has neither ledger.jsonl nor experiment.json");

  StatusModel model;
  json warnings = json::array();
  add_planned_jobs(storage, experiment_file, model, warnings);
  if (storage.exists(ledger_file)) {
    auto bytes = storage.read(ledger_file);
    if (!bytes) return Result<json>::Error(ledger_file + ": " + bytes.message());
    const LedgerReplay replay = decode_ledger(*bytes);
    for (const json& r : replay.records) model.apply(r);
    if (replay.damaged_lines > 0) model.set_ledger_damage(replay.damaged_lines, replay.problem);
  }
  return status_document(std::move(model), storage, run_dir, now, std::move(warnings));
}

}  // namespace amnl::orch
