#include "orchestrator/rundir/experiment.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/asio/ip/address.hpp>

#include "common/recipe_config.h"
#include "common/safe_path.h"
#include "common/strict_json.h"

namespace amnl::orch {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Collects the first error with its key path; later checks are skipped once one failed.
class Checker {
 public:
  bool failed() const { return !status_.ok(); }
  Status status() const { return status_; }
  void fail(const std::string& path, const std::string& what) {
    if (status_.ok()) status_ = Status::Error(path + ": " + what);
  }
  void keys(const json& obj, const std::string& path, const std::set<std::string>& allowed) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (!allowed.count(it.key())) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(path.empty() ? it.key() : path + "." + it.key(), "unknown key (known: " + list + ")");
      }
    }
  }
  void number(const json& obj, const std::string& path, const char* key, double& v, double lo,
              double hi) {
    if (!obj.contains(key)) return;
    const json& f = obj[key];
    const std::string p = path + "." + key;
    if (!f.is_number()) return fail(p, "must be a number, got " + f.dump());
    const double x = f.get<double>();
    if (!std::isfinite(x) || !(x > lo) || x > hi) {
      std::ostringstream ss;
      ss << "must be > " << lo << " and <= " << hi << ", got " << f.dump();
      return fail(p, ss.str());
    }
    v = x;
  }
  void integer(const json& obj, const std::string& path, const char* key, int& v, int lo, int hi) {
    if (!obj.contains(key)) return;
    const json& f = obj[key];
    const std::string p = path.empty() ? key : path + "." + key;
    if (!f.is_number_integer()) return fail(p, "must be an integer, got " + f.dump());
    if (f.is_number_unsigned() && f.get<uint64_t>() > static_cast<uint64_t>(hi))
      return fail(p, "must be <= " + std::to_string(hi) + ", got " + f.dump());
    const int64_t x = f.get<int64_t>();
    if (x < lo || x > hi)
      return fail(p, "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + f.dump());
    v = static_cast<int>(x);
  }
  std::string string(const json& obj, const char* key, bool required) {
    if (!obj.contains(key)) {
      if (required) fail(key, "missing (required)");
      return "";
    }
    if (!obj[key].is_string() || obj[key].get<std::string>().empty()) {
      fail(key, "must be a non-empty string, got " + obj[key].dump());
      return "";
    }
    return obj[key].get<std::string>();
  }

 private:
  Status status_;
};

std::string resolve(const std::string& base_dir, const std::string& p) {
  fs::path path(p);
  if (path.is_relative()) path = fs::path(base_dir) / path;
  // The throwing overloads threw out of parse_experiment for a name too long for the file
  // system (found by bench/fuzz): fall back to the lexical form; check_path_text follows.
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  if (ec) return path.lexically_normal().string();
  const fs::path canonical = fs::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal().string() : canonical.string();
}

// `p` without a trailing separator: "/x/run/" is the directory "/x/run".
fs::path directory(const std::string& p) {
  const fs::path path(p);
  return path.has_filename() || path == path.root_path() ? path : path.parent_path();
}

// Whether `inner` is `outer` or lies below it; both absolute and without ".." (resolve()).
bool is_at_or_below(const fs::path& inner, const fs::path& outer) {
  const fs::path relative = inner.lexically_relative(outer);
  return !relative.empty() && *relative.begin() != "..";
}

int64_t count_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  int64_t n = 0;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) n += buf[i] == '\n';
  }
  return n;
}

}  // namespace

json Experiment::identity() const {
  return json{{"data_dir", data_dir}, {"datasets", datasets}, {"seeds", seeds},
              {"recipe", recipe}, {"threads_per_rank", threads_per_rank}};
}

json Experiment::to_json() const {
  json j = identity();
  j["run_dir"] = run_dir;
  j["preset"] = preset;
  j["recipe_overrides"] = recipe_overrides;
  j["fault"] = {{"heartbeat_interval_s", fault.heartbeat_interval_s},
                {"worker_timeout_s", fault.worker_timeout_s},
                {"progress_timeout_s", fault.progress_timeout_s},
                {"max_attempts", fault.max_attempts},
                {"coordinator_timeout_s", fault.coordinator_timeout_s},
                {"stop_grace_s", fault.stop_grace_s}};
  j["status"] = {{"port", status.port}, {"address", status.address}};
  j["source_file"] = file;
  return j;
}

// parse_experiment's steps, in order. Each checks one part of the file into `e` and returns the
// first error (naming the key); a step runs only when the steps before it passed.
namespace {

// A run writes its jobs, logs and results under run_dir, and a rerun or a clean-up may remove
// it: the data stays apart. The paths are resolved (no "..", symbolic links of existing
// directories followed), so "data/..//data" or a link to the data is the data too.
Status check_run_and_data_apart(const Experiment& e) {
  const fs::path run = directory(e.run_dir);
  const fs::path data = directory(e.data_dir);
  if (run == data) return Status::Error("run_dir " + e.run_dir + " is data_dir: a run must not write into its data");
  if (is_at_or_below(run, data))
    return Status::Error("run_dir " + e.run_dir + " is inside data_dir " + e.data_dir +
                         ": a run must not write into its data");
  if (is_at_or_below(data, run))
    return Status::Error("data_dir " + e.data_dir + " is inside run_dir " + e.run_dir +
                         ": keep the data outside the run dir, which holds only what runs write");
  return Status::Ok();
}

Status parse_paths(const json& j, const std::string& base_dir, Checker& c, Experiment& e) {
  const std::string run_dir = c.string(j, "run_dir", true);
  const std::string data_dir = c.string(j, "data_dir", true);
  if (c.failed()) return c.status();
  e.run_dir = resolve(base_dir, run_dir);
  e.data_dir = resolve(base_dir, data_dir);
  // Resolved paths go into experiment.json and every record: JSON needs valid UTF-8 (dump()
  // throws otherwise), and a control character in a path only hides what is written where.
  for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"run_dir", e.run_dir},
                                   {"data_dir", e.data_dir}})
    if (Status st = check_path_text(value, "resolved path"); !st.ok())
      return Status::Error(std::string(key) + ": " + st.message());
  return check_run_and_data_apart(e);
}

void parse_datasets(const json& j, Checker& c, Experiment& e) {
  if (!j.contains("datasets")) return c.fail("datasets", "missing (required)");
  if (!j["datasets"].is_array() || j["datasets"].empty())
    return c.fail("datasets", "must be a non-empty array of dataset names, got " + j["datasets"].dump());
  std::set<std::string> seen;
  for (size_t i = 0; i < j["datasets"].size(); ++i) {
    const json& d = j["datasets"][i];
    const std::string p = "datasets[" + std::to_string(i) + "]";
    if (!d.is_string()) return c.fail(p, "must be a string, got " + d.dump());
    const std::string name = d.get<std::string>();
    Status st = check_plain_name(name, "dataset name");
    if (!st.ok()) return c.fail(p, st.message());
    if (!seen.insert(name).second) return c.fail(p, "duplicate dataset '" + name + "'");
    e.datasets.push_back(name);
  }
}

void parse_seeds(const json& j, Checker& c, Experiment& e) {
  if (!j.contains("seeds")) return c.fail("seeds", "missing (required)");
  if (!j["seeds"].is_array() || j["seeds"].empty())
    return c.fail("seeds", "must be a non-empty array of integers, got " + j["seeds"].dump());
  std::set<int64_t> seen;
  for (size_t i = 0; i < j["seeds"].size(); ++i) {
    const json& s = j["seeds"][i];
    const std::string p = "seeds[" + std::to_string(i) + "]";
    if (!s.is_number_integer() || (s.is_number_unsigned() && s.get<uint64_t>() > INT64_MAX))
      return c.fail(p, "must be an integer, got " + s.dump());
    if (s.get<int64_t>() < 0) return c.fail(p, "must be >= 0, got " + s.dump());
    if (!seen.insert(s.get<int64_t>()).second) return c.fail(p, "duplicate seed " + s.dump());
    e.seeds.push_back(s.get<int64_t>());
  }
}

// The preset, then the recipe overrides (RecipeConfig::resolve), then the checkpoint section.
Status parse_recipe(const json& j, Checker& c, Experiment& e) {
  if (j.contains("preset")) {
    if (!j["preset"].is_string()) return Status::Error("preset: must be a string, got " + j["preset"].dump());
    e.preset = j["preset"].get<std::string>();
  }
  json overrides;  // null: none
  if (j.contains("recipe")) {
    if (!j["recipe"].is_object()) return Status::Error("recipe: must be an object, got " + j["recipe"].dump());
    overrides = j["recipe"];
  }
  auto resolved = RecipeConfig::resolve(e.preset, overrides, "recipe");
  if (!resolved) {
    if (!RecipeConfig::preset(e.preset)) return resolved.status().with_context("preset");
    return resolved.status();
  }
  if (!overrides.is_null()) e.recipe_overrides = overrides;
  json recipe = resolved->to_json();
  if (j.contains("checkpoint")) {
    const json& cp = j["checkpoint"];
    if (!cp.is_object()) return Status::Error("checkpoint: must be an object, got " + cp.dump());
    c.keys(cp, "checkpoint", {"every_epochs", "keep_last"});
    int every = recipe["checkpoint"]["every_epochs"].get<int>();
    int keep = recipe["checkpoint"]["keep_last"].get<int>();
    c.integer(cp, "checkpoint", "every_epochs", every, 1, 1000000);
    c.integer(cp, "checkpoint", "keep_last", keep, 1, 1000);
    if (c.failed()) return c.status();
    recipe["checkpoint"] = {{"every_epochs", every}, {"keep_last", keep}};
  }
  auto cfg = RecipeConfig::from_json(recipe, "recipe");
  if (!cfg) return cfg.status();
  e.recipe = cfg->to_json();
  return Status::Ok();
}

Status parse_fault(const json& j, Checker& c, Experiment& e) {
  if (j.contains("fault")) {
    const json& f = j["fault"];
    if (!f.is_object()) return Status::Error("fault: must be an object, got " + f.dump());
    c.keys(f, "fault", {"heartbeat_interval_s", "worker_timeout_s", "progress_timeout_s",
                        "max_attempts", "coordinator_timeout_s", "stop_grace_s"});
    c.number(f, "fault", "heartbeat_interval_s", e.fault.heartbeat_interval_s, 0.0, 3600.0);
    c.number(f, "fault", "worker_timeout_s", e.fault.worker_timeout_s, 0.0, 86400.0);
    c.number(f, "fault", "progress_timeout_s", e.fault.progress_timeout_s, 0.0, 7 * 86400.0);
    c.integer(f, "fault", "max_attempts", e.fault.max_attempts, 1, 100);
    c.number(f, "fault", "coordinator_timeout_s", e.fault.coordinator_timeout_s, 0.0, 86400.0);
    c.number(f, "fault", "stop_grace_s", e.fault.stop_grace_s, 0.0, 86400.0);
    if (c.failed()) return c.status();
  }
  // A timeout shorter than two heartbeats would declare healthy workers dead.
  if (e.fault.worker_timeout_s < 2 * e.fault.heartbeat_interval_s)
    return Status::Error("fault.worker_timeout_s: must be >= 2 x heartbeat_interval_s (" +
                       std::to_string(2 * e.fault.heartbeat_interval_s) + "), got " +
                       std::to_string(e.fault.worker_timeout_s));
  if (e.fault.coordinator_timeout_s < 2 * e.fault.heartbeat_interval_s)
    return Status::Error("fault.coordinator_timeout_s: must be >= 2 x heartbeat_interval_s (" +
                       std::to_string(2 * e.fault.heartbeat_interval_s) + "), got " +
                       std::to_string(e.fault.coordinator_timeout_s));
  if (e.fault.progress_timeout_s < e.fault.worker_timeout_s)
    return Status::Error("fault.progress_timeout_s: must be >= worker_timeout_s");
  return Status::Ok();
}

// The status server (not identity: it may change between reruns).
Status parse_status_server(const json& j, Checker& c, Experiment& e) {
  if (j.contains("status")) {
    const json& sv = j["status"];
    if (!sv.is_object()) return Status::Error("status: must be an object, got " + sv.dump());
    c.keys(sv, "status", {"port", "address"});
    c.integer(sv, "status", "port", e.status.port, -1, 65535);
    if (sv.contains("address")) {
      boost::system::error_code ec;
      if (!sv["address"].is_string() || (boost::asio::ip::make_address(sv["address"].get<std::string>(), ec), ec))
        c.fail("status.address", "must be an IP address such as \"127.0.0.1\" or \"0.0.0.0\", got " +
                                     sv["address"].dump());
      else
        e.status.address = sv["address"].get<std::string>();
    }
    if (c.failed()) return c.status();
  }
  return Status::Ok();
}

// Each dataset's three files exist (when asked), and its training rows size the job.
Status find_data_files(bool check_files, Experiment& e) {
  for (size_t i = 0; i < e.datasets.size(); ++i) {
    const std::string& ds = e.datasets[i];
    int64_t rows = 0;
    if (check_files) {
      for (const char* kind : {"train_", "test_", "RUL_"}) {
        const std::string path = e.data_dir + "/" + kind + ds + ".txt";
        std::error_code ec;
        if (!fs::is_regular_file(path, ec))
          return Status::Error("datasets[" + std::to_string(i) + "]: unknown dataset '" + ds +
                               "': " + path + " does not exist (data_dir " + e.data_dir + ")");
      }
      rows = count_lines(e.data_dir + "/train_" + ds + ".txt");
    }
    e.dataset_rows.push_back(rows);
  }
  return Status::Ok();
}

}  // namespace

Result<Experiment> parse_experiment(const json& j, const std::string& base_dir, bool check_files) {
  Checker c;
  Experiment e;
  if (!j.is_object()) return Result<Experiment>::Error("top level: must be a JSON object");
  c.keys(j, "", {"run_dir", "data_dir", "datasets", "seeds", "preset", "recipe", "checkpoint",
                 "fault", "threads_per_rank", "description", "status"});
  if (j.contains("description") && !j["description"].is_string())
    c.fail("description", "must be a string");
  if (Status st = parse_paths(j, base_dir, c, e); !st.ok()) return st;
  parse_datasets(j, c, e);
  if (!c.failed()) parse_seeds(j, c, e);
  if (c.failed()) return c.status();
  if (Status st = parse_recipe(j, c, e); !st.ok()) return st;
  if (Status st = parse_fault(j, c, e); !st.ok()) return st;
  c.integer(j, "", "threads_per_rank", e.threads_per_rank, 1, 1024);
  if (c.failed()) return c.status();
  e.threads_per_rank_set = j.contains("threads_per_rank");
  if (Status st = parse_status_server(j, c, e); !st.ok()) return st;
  if (Status st = find_data_files(check_files, e); !st.ok()) return st;
  return e;
}

namespace {

// What makes `dir` another run's directory or a job dir ("the run dir D (it has ledger.jsonl)"),
// "" when nothing does. An experiment file beside its run dir is often named experiment.json
// too: only the one a run stored (Experiment::to_json, with source_file, a key no experiment
// file may have) marks a run dir.
std::string other_run_marker(const Storage& storage, const fs::path& dir) {
  if (storage.exists((dir / "lease.json").string())) return "the job dir " + dir.string() + " (it has lease.json)";
  if (storage.exists((dir / "ledger.jsonl").string())) return "the run dir " + dir.string() + " (it has ledger.jsonl)";
  const std::string stored = (dir / "experiment.json").string();
  if (!storage.exists(stored)) return "";
  auto bytes = storage.read(stored);
  const json j = bytes ? json::parse(*bytes, nullptr, /*allow_exceptions=*/false) : json();
  if (j.is_object() && j.contains("source_file"))
    return "the run dir " + dir.string() + " (it has a run's experiment.json)";
  return "";
}

// A run dir inside another run's (or inside one of its job dirs) mixes its files with that
// run's, and the outer run's report and clean-up would take it along. Only the directories above
// count: a rerun in the same run dir is how a run resumes.
Status check_outside_other_runs(const Storage& storage, const std::string& run_dir) {
  const fs::path run = directory(run_dir);
  for (fs::path dir = run.parent_path();; dir = dir.parent_path()) {
    if (const std::string other = other_run_marker(storage, dir); !other.empty())
      return Status::Error("run_dir " + run_dir + " is inside " + other + ": choose a directory outside other runs");
    if (dir == dir.parent_path()) return Status::Ok();
  }
}

}  // namespace

Result<Experiment> load_experiment(const Storage& storage, const std::string& path) {
  auto bytes = storage.read(path);
  if (!bytes) return Result<Experiment>::Error("experiment file " + path + ": " + bytes.message());
  auto j = parse_strict_json(*bytes, path);
  if (!j) return j.status();
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  if (ec) return Result<Experiment>::Error("experiment file " + path + ": " + ec.message());
  auto e = parse_experiment(*j, abs.parent_path().string());
  if (!e) return e.status().with_context("experiment file " + path);
  AMNL_RETURN_IF_ERROR(check_outside_other_runs(storage, e->run_dir).with_context("experiment file " + path));
  e->file = abs.string();
  return e;
}

}  // namespace amnl::orch
