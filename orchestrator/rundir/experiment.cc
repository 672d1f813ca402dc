#include "orchestrator/rundir/experiment.h"

#include <filesystem>
#include <fstream>
#include <set>

#include <boost/asio/ip/address.hpp>

#include "common/json_reader.h"
#include "common/recipe_config.h"
#include "common/safe_path.h"
#include "common/strict_json.h"

namespace amnl::orch {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

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
  if (run == data)
    return Status::InvalidArgument("run_dir " + e.run_dir + " is data_dir: a run must not write into its data");
  if (is_at_or_below(run, data))
    return Status::InvalidArgument("run_dir " + e.run_dir + " is inside data_dir " + e.data_dir +
                                   ": a run must not write into its data");
  if (is_at_or_below(data, run))
    return Status::InvalidArgument("data_dir " + e.data_dir + " is inside run_dir " + e.run_dir +
                                   ": keep the data outside the run dir, which holds only what runs write");
  return Status::Ok();
}

Status parse_paths(JsonSection& root, const std::string& base_dir, Experiment& e) {
  std::string run_dir, data_dir;
  root.string("run_dir", run_dir, true);
  root.string("data_dir", data_dir, true);
  if (root.failed()) return root.status();
  e.run_dir = resolve(base_dir, run_dir);
  e.data_dir = resolve(base_dir, data_dir);
  // Resolved paths go into experiment.json and every record: JSON needs valid UTF-8 (dump()
  // throws otherwise), and a control character in a path only hides what is written where.
  for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"run_dir", e.run_dir},
                                   {"data_dir", e.data_dir}})
    if (Status st = check_path_text(value, "resolved path"); !st.ok())
      return Status::InvalidArgument(std::string(key) + ": " + st.message());
  return check_run_and_data_apart(e);
}

// The non-empty array at `key`; null, with the error recorded, when it is missing or no such array.
const json* required_list(JsonSection& root, const char* key, const std::string& of_what) {
  const json* list = root.field(key);
  if (root.failed()) return nullptr;
  if (!list) {
    root.fail(key, "missing (required)");
    return nullptr;
  }
  if (!list->is_array() || list->empty()) {
    root.fail(key, "must be a non-empty array of " + of_what + ", got " + JsonSection::dump(*list));
    return nullptr;
  }
  return list;
}

void parse_datasets(JsonSection& root, Experiment& e) {
  const json* list = required_list(root, "datasets", "dataset names");
  if (!list) return;
  std::set<std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& d = (*list)[i];
    const std::string p = "datasets[" + std::to_string(i) + "]";
    if (!d.is_string()) return root.fail(p, "must be a string, got " + JsonSection::dump(d));
    const std::string name = d.get<std::string>();
    Status st = check_plain_name(name, "dataset name");
    if (!st.ok()) return root.fail(p, st.message());
    if (!seen.insert(name).second) return root.fail(p, "duplicate dataset '" + name + "'");
    e.datasets.push_back(name);
  }
}

void parse_seeds(JsonSection& root, Experiment& e) {
  const json* list = required_list(root, "seeds", "integers");
  if (!list) return;
  std::set<int64_t> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& s = (*list)[i];
    const std::string p = "seeds[" + std::to_string(i) + "]";
    if (!s.is_number_integer() || (s.is_number_unsigned() && s.get<uint64_t>() > INT64_MAX))
      return root.fail(p, "must be an integer, got " + JsonSection::dump(s));
    if (s.get<int64_t>() < 0) return root.fail(p, "must be >= 0, got " + JsonSection::dump(s));
    if (!seen.insert(s.get<int64_t>()).second) return root.fail(p, "duplicate seed " + JsonSection::dump(s));
    e.seeds.push_back(s.get<int64_t>());
  }
}

// The preset, then the recipe overrides (RecipeConfig::resolve), then the checkpoint section.
// An experiment file's top-level checkpoint section over the resolved recipe's, with the
// recipe's own bounds.
Status apply_checkpoint(JsonSection& root, json& recipe) {
  if (!root.field("checkpoint")) return Status::Ok();
  RecipeConfig::Checkpoint cp;
  cp.every_epochs = recipe["checkpoint"]["every_epochs"].get<int>();
  cp.keep_last = recipe["checkpoint"]["keep_last"].get<int>();
  JsonSection section = root.section("checkpoint");
  RecipeConfig::read_checkpoint(section, cp);
  if (root.failed()) return root.status();
  recipe["checkpoint"] = {{"every_epochs", cp.every_epochs}, {"keep_last", cp.keep_last}};
  return Status::Ok();
}

// The preset, then the recipe overrides (RecipeConfig::resolve), then the checkpoint section.
Status parse_recipe(JsonSection& root, Experiment& e) {
  if (const json* preset = root.field("preset")) {
    if (!preset->is_string())
      return Status::InvalidArgument("preset: must be a string, got " + JsonSection::dump(*preset));
    e.preset = preset->get<std::string>();
  }
  json overrides;  // null: none
  if (const json* recipe = root.field("recipe")) {
    if (!recipe->is_object())
      return Status::InvalidArgument("recipe: must be an object, got " + JsonSection::dump(*recipe));
    overrides = *recipe;
  }
  auto resolved = RecipeConfig::resolve(e.preset, overrides, "recipe");
  if (!resolved) {
    if (!RecipeConfig::preset(e.preset)) return resolved.status().with_context("preset");
    return resolved.status();
  }
  if (!overrides.is_null()) e.recipe_overrides = overrides;
  json recipe = resolved->to_json();
  AMNL_RETURN_IF_ERROR(apply_checkpoint(root, recipe));
  auto cfg = RecipeConfig::from_json(recipe, "recipe");
  if (!cfg) return cfg.status();
  e.recipe = cfg->to_json();
  return Status::Ok();
}

// A timeout shorter than two heartbeats would declare healthy workers dead.
Status check_timeouts_agree(const FaultPolicy& f) {
  if (f.worker_timeout_s < 2 * f.heartbeat_interval_s)
    return Status::InvalidArgument("fault.worker_timeout_s: must be >= 2 x heartbeat_interval_s (" +
                                   std::to_string(2 * f.heartbeat_interval_s) + "), got " +
                                   std::to_string(f.worker_timeout_s));
  if (f.coordinator_timeout_s < 2 * f.heartbeat_interval_s)
    return Status::InvalidArgument("fault.coordinator_timeout_s: must be >= 2 x heartbeat_interval_s (" +
                                   std::to_string(2 * f.heartbeat_interval_s) + "), got " +
                                   std::to_string(f.coordinator_timeout_s));
  if (f.progress_timeout_s < f.worker_timeout_s)
    return Status::InvalidArgument("fault.progress_timeout_s: must be >= worker_timeout_s");
  return Status::Ok();
}

Status parse_fault(JsonSection& root, Experiment& e) {
  JsonSection s = root.section("fault");
  s.declare({"heartbeat_interval_s", "worker_timeout_s", "progress_timeout_s", "max_attempts",
             "coordinator_timeout_s", "stop_grace_s"});
  s.reject_unknown();
  const auto seconds_up_to = [](double most) { return NumberRange::above(0).at_most(most).named_whole(); };
  FaultPolicy& f = e.fault;
  s.number("heartbeat_interval_s", f.heartbeat_interval_s, seconds_up_to(3600));
  s.number("worker_timeout_s", f.worker_timeout_s, seconds_up_to(86400));
  s.number("progress_timeout_s", f.progress_timeout_s, seconds_up_to(7 * 86400));
  s.integer("max_attempts", f.max_attempts, IntRange::between(1, 100));
  s.number("coordinator_timeout_s", f.coordinator_timeout_s, seconds_up_to(86400));
  s.number("stop_grace_s", f.stop_grace_s, seconds_up_to(86400));
  if (root.failed()) return root.status();
  return check_timeouts_agree(f);
}

// The status server (not identity: it may change between reruns).
Status parse_status_server(JsonSection& root, Experiment& e) {
  JsonSection s = root.section("status");
  s.declare({"port", "address"});
  s.reject_unknown();
  s.integer("port", e.status.port, IntRange::between(-1, 65535));
  if (const json* address = s.field("address")) {
    boost::system::error_code ec;
    if (!address->is_string() || (boost::asio::ip::make_address(address->get<std::string>(), ec), ec))
      s.fail("address", "must be an IP address such as \"127.0.0.1\" or \"0.0.0.0\", got " +
                            JsonSection::dump(*address));
    else
      e.status.address = address->get<std::string>();
  }
  return root.status();
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
          return Status::InvalidArgument("datasets[" + std::to_string(i) + "]: unknown dataset '" + ds +
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
  if (!j.is_object()) return Status::InvalidArgument("top level: must be a JSON object");
  JsonSection root(&j, "");
  root.declare({"run_dir", "data_dir", "datasets", "seeds", "preset", "recipe", "checkpoint", "fault",
                "threads_per_rank", "description", "status"});
  root.reject_unknown();
  if (const json* description = root.field("description"); description && !description->is_string())
    root.fail("description", "must be a string");
  Experiment e;
  AMNL_RETURN_IF_ERROR(parse_paths(root, base_dir, e));
  parse_datasets(root, e);
  parse_seeds(root, e);
  if (root.failed()) return root.status();
  AMNL_RETURN_IF_ERROR(parse_recipe(root, e));
  AMNL_RETURN_IF_ERROR(parse_fault(root, e));
  root.integer("threads_per_rank", e.threads_per_rank, IntRange::between(1, 1024));
  if (root.failed()) return root.status();
  e.threads_per_rank_set = j.contains("threads_per_rank");
  AMNL_RETURN_IF_ERROR(parse_status_server(root, e));
  AMNL_RETURN_IF_ERROR(find_data_files(check_files, e));
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
  // Read, not asked for first: absent (NotFound) and unreadable both mark nothing.
  auto bytes = storage.read((dir / "experiment.json").string());
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
      return Status::InvalidArgument("run_dir " + run_dir + " is inside " + other +
                                     ": choose a directory outside other runs");
    if (dir == dir.parent_path()) return Status::Ok();
  }
}

}  // namespace

Result<Experiment> load_experiment(const Storage& storage, const std::string& path) {
  auto bytes = storage.read(path);
  if (!bytes) return bytes.status().with_context("experiment file " + path);
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
