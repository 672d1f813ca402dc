#include "orchestrator/report/report_collect.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/job_dir_files.h"
#include "common/json_fields.h"
#include "orchestrator/rundir/job_id.h"
#include "orchestrator/rundir/ledger.h"
#include "orchestrator/rundir/ledger_events.h"
#include "orchestrator/rundir/ledger_fold.h"
#include "orchestrator/report/report_job_files.h"
#include "orchestrator/rundir/run_dir.h"

namespace amnl::orch {

using nlohmann::json;

namespace {

std::string int_str(int v) { return std::to_string(v); }

// Why a job that is not running, done or failed waits, from how its latest attempt stopped.
std::string pending_reason(const FoldedJob& j) {
  const AttemptStop& stop = j.stop;
  if (stop.event == ledger::event::kAttemptFailed) {
    // Without a readable max_attempts the count stands alone: "1 of 0 allowed" would be false.
    return "attempt " + int_str(stop.attempt) + " failed (" + int_str(j.failures) +
           (stop.max_attempts > 0 ? " of " + int_str(stop.max_attempts) + " allowed" : " failure so far") +
           "): " + stop.reason + "; to be retried";
  }
  if (stop.event == ledger::event::kFailuresReset) return "failures reset (" + stop.reason + "); queued again";
  if (stop.event == ledger::event::kPreempted)
    return "preempted at epoch " + int_str(stop.epoch) + " (" + stop.reason + "); a rerun resumes it";
  if (stop.event == ledger::event::kStorageFailed) return "storage failed: " + stop.reason + "; a rerun resumes it";
  if (stop.event == AttemptStop::kInterrupted)
    return "attempt " + int_str(stop.attempt) + " was running at epoch " + int_str(stop.epoch) + " when " +
           stop.reason + "; a rerun resumes it from its newest checkpoint";
  return "queued, not started yet";
}

std::string running_reason(const FoldedJob& j) {
  std::string s = "attempt " + int_str(j.attempt);
  if (j.rank >= 0) s += " on rank " + int_str(j.rank);
  s += j.max_epochs > 0 ? ", epoch " + int_str(j.epoch) + " of at most " + int_str(j.max_epochs)
                        : ", no epoch finished yet";
  return s;
}

json read_json_file(const Storage& storage, const std::string& path, std::string& problem) {
  auto bytes = storage.read(path);
  if (!bytes) {
    problem = path + ": " + bytes.message();
    return json();
  }
  json j = json::parse(*bytes, nullptr, false);
  if (!j.is_object()) {
    problem = path + ": not a JSON object";
    return json();
  }
  return j;
}

// Planned jobs, data dir and recipe facts from experiment.json.
void read_experiment(const Storage& storage, RunResults& run) {
  const std::string path = run.run_dir + "/experiment.json";
  if (!storage.exists(path)) {
    run.warnings.push_back(path + " does not exist: the planned jobs are unknown; only jobs in the ledger are listed");
    return;
  }
  std::string problem;
  const json e = read_json_file(storage, path, problem);
  if (!problem.empty()) {
    run.warnings.push_back(problem + ": the planned jobs are unknown; only jobs in the ledger are listed");
    return;
  }
  try {
    const json datasets = e.value("datasets", json()), seeds = e.value("seeds", json());
    if (!datasets.is_array() || !seeds.is_array())
      run.warnings.push_back(path + ": 'datasets' and 'seeds' must be arrays; only jobs in the ledger are listed");
    else {
      for (const json& d : datasets)
        if (d.is_string()) run.datasets.push_back(d.get<std::string>());
      for (const json& s : seeds)
        if (s.is_number_integer()) run.seeds.push_back(s.get<int64_t>());
    }
    if (e.contains("data_dir") && e["data_dir"].is_string()) run.data_dir = e["data_dir"].get<std::string>();
    if (e.contains("preset") && e["preset"].is_string()) run.preset = e["preset"].get<std::string>();
    const json data = e.contains("recipe") && e["recipe"].is_object() ? e["recipe"].value("data", json()) : json();
    if (data.is_object()) {
      if (data.contains("r_max") && data["r_max"].is_number()) run.r_max = data["r_max"].get<double>();
      if (data.contains("selection") && data["selection"].is_string()) run.selection = data["selection"].get<std::string>();
    }
  } catch (const json::exception& ex) {
    run.warnings.push_back(path + ": " + ex.what());
  }
}

// What the ledger says of the job: its state and reason, attempts, and (without a history
// file) the learning curve from its progress records. The report's states: pending (queued or
// preempted), running, done, failed.
void take_ledger_state(const FoldedJob& lj, SeedResult& s) {
  switch (lj.phase) {
    case JobPhase::kRunning: s.state = "running"; s.reason = running_reason(lj); break;
    case JobPhase::kDone: s.state = "done"; s.reason.clear(); break;
    case JobPhase::kFailed:
      s.state = "failed";
      s.reason = "gave up after " + int_str(lj.failures) + " failed attempts; the last: " + lj.failure_reason;
      break;
    case JobPhase::kQueued:
    case JobPhase::kPreempted: s.state = "pending"; s.reason = pending_reason(lj); break;
  }
  s.attempts = std::max(s.attempts, lj.attempt);
  if (s.history.empty())
    for (const auto& [epoch, rmse] : lj.val_rmse_by_epoch) s.history.push_back({epoch, rmse});
}

// The ledger's done record: the job is done. It says whether the final attempt resumed, and
// stands in for metrics.json (and its epochs and wall time) when that file is missing or torn.
void take_done_record(const Storage& storage, const json& done, bool have_file_metrics, SeedResult& s) {
  s.state = "done";
  s.reason.clear();
  const int from = int_or(done, "resumed_from_epoch", -1);
  s.resumed_from_epoch = from;
  // An old metrics.json without run.resumes: a done record that resumed shows at least one.
  if (from >= 0) s.resumes = std::max(s.resumes, 1);
  s.attempts = std::max(s.attempts, int_or(done, ledger::kAttempt, 0));
  if (!have_file_metrics && done.contains("metrics")) {
    const std::string problem = take_metrics(done["metrics"], "ledger done record of " + s.job, s);
    if (problem.empty()) {
      s.metrics_source = "ledger done record";
      const std::string metrics_file = s.job_dir + "/" + job_files::kMetrics;
      if (!s.job_dir.empty() && !storage.exists(metrics_file))
        s.problems.push_back(metrics_file + " is missing; metrics taken from the ledger's done record");
    } else {
      s.problems.push_back(problem);
    }
  }
  if (s.epochs_run < 0) s.epochs_run = int_or(done, "epochs_run", -1);
  if (!s.wall_seconds && done.contains("seconds") && done["seconds"].is_number())
    s.wall_seconds = done["seconds"].get<double>();
}

// The trainer finished but the ledger has no done record (yet, or it was lost to damage).
void done_without_record(SeedResult& s) {
  s.state = "done";
  s.reason.clear();
  s.problems.push_back("metrics.json present but the ledger has no done record for " + s.job +
                       " (finishing right now, or the record was lost)");
}

// The last words on a seed's final state: why a seed is left out, and its protocol when its
// metrics did not name one.
void explain_state(SeedResult& s) {
  if (s.state == "done" && !s.has_metrics)
    s.problems.push_back("done, but no readable metrics: left out of the statistics");
  if (s.state == "missing")
    s.reason = "no ledger record and no metrics.json: never started";
  if (s.state == "pending" && s.reason.empty()) s.reason = "queued, not started yet";
  if (s.protocol.empty()) {
    const std::string& sel = s.selection;
    s.protocol = sel == "test" ? "selected on test: leaks" : sel == "validation" ? "validation selection" : "";
  }
}

// One seed's result from its job dir's files and what the ledger says of it (`lj`: null when
// the ledger never mentions the job).
SeedResult build_seed(const Storage& storage, const std::string& run_dir, const JobKey& key, const FoldedJob* lj) {
  SeedResult s;
  s.dataset = key.dataset;
  s.seed = key.seed;
  s.job = job_id(key);
  auto dir = job_dir(run_dir, key);
  if (dir)
    s.job_dir = *dir;
  else
    s.problems.push_back("job dir: " + dir.message());
  const bool have_file_metrics = read_job_files(storage, s);
  if (lj && lj->seen) take_ledger_state(*lj, s);
  if (lj && lj->done.is_object())
    take_done_record(storage, lj->done, have_file_metrics, s);
  else if (have_file_metrics)
    done_without_record(s);
  explain_state(s);
  return s;
}

// Folds ledger.jsonl, read as bytes (no lock, no repair). Its absence and damage become run
// warnings.
LedgerFold read_ledger(const Storage& storage, const std::string& ledger_file, RunResults& run) {
  LedgerFold fold;
  if (!storage.exists(ledger_file)) {
    run.warnings.push_back(ledger_file + " does not exist: the run has not started");
    return fold;
  }
  auto bytes = storage.read(ledger_file);
  if (!bytes) {
    run.warnings.push_back(ledger_file + ": " + bytes.message() + "; job states come from job dirs only");
    return fold;
  }
  const LedgerReplay replay = decode_ledger(*bytes);
  if (replay.damaged_lines > 0)
    run.warnings.push_back(ledger_file + ": " + std::to_string(replay.damaged_lines) +
                           " damaged line(s) skipped (first: " + replay.problem + "); states may miss those records");
  for (const json& r : replay.records) fold.apply(r);
  return fold;
}

// outcome.json's outcome; "running" while the ledger's latest session is open (a live run, or
// one whose coordinator died); "unknown" otherwise.
void read_run_state(const Storage& storage, bool session_open, RunResults& run) {
  const std::string outcome_file = run.run_dir + "/outcome.json";
  if (storage.exists(outcome_file)) {
    std::string problem;
    const json o = read_json_file(storage, outcome_file, problem);
    if (o.is_object() && o.contains("outcome") && o["outcome"].is_string()) run.run_state = o["outcome"].get<std::string>();
    if (!problem.empty()) run.warnings.push_back(problem);
  }
  if (session_open) run.run_state = "running";
  if (run.run_state.empty()) run.run_state = "unknown";
}

// One result per planned (dataset, seed), in that order. Returns their job ids.
std::set<std::string> add_planned_seeds(const Storage& storage, const std::map<std::string, FoldedJob>& ledger_jobs,
                                        RunResults& run) {
  std::set<std::string> planned;
  for (const std::string& ds : run.datasets)
    for (int64_t seed : run.seeds) {
      const JobKey key{ds, seed};
      const std::string id = job_id(key);
      planned.insert(id);
      auto it = ledger_jobs.find(id);
      run.seeds_results.push_back(build_seed(storage, run.run_dir, key, it == ledger_jobs.end() ? nullptr : &it->second));
    }
  return planned;
}

// Jobs in the ledger that experiment.json does not plan (it was edited, or is missing): listed
// after the planned ones and flagged; their datasets join the report's.
void add_unplanned_seeds(const Storage& storage, const std::map<std::string, FoldedJob>& ledger_jobs,
                         const std::set<std::string>& planned, const std::string& ledger_file, RunResults& run) {
  for (const auto& [id, lj] : ledger_jobs) {
    if (planned.count(id)) continue;
    auto key = parse_job_id(id);
    if (!key) {
      run.warnings.push_back(ledger_file + ": " + key.message());
      continue;
    }
    SeedResult s = build_seed(storage, run.run_dir, *key, &lj);
    s.planned = false;
    s.problems.push_back(s.job + " is in the ledger but not in experiment.json's datasets x seeds");
    if (std::find(run.datasets.begin(), run.datasets.end(), key->dataset) == run.datasets.end())
      run.datasets.push_back(key->dataset);
    run.seeds_results.push_back(std::move(s));
  }
}

// Why a seed is not in its dataset's statistics: "FD001-s3: failed: <reason>".
std::string not_done_text(const SeedResult& s) {
  std::string why = s.state == "done" ? "done but without readable metrics" : s.state + ": " + s.reason;
  if (s.state == "done" && !s.problems.empty()) why += " (" + s.problems.back() + ")";
  return s.job + ": " + why;
}

// A dataset's protocol: its seeds' one protocol, "mixed" when they differ, else the run's
// selection setting.
std::string dataset_protocol(const std::set<std::string>& seed_protocols, const std::string& run_selection) {
  if (seed_protocols.size() == 1) return *seed_protocols.begin();
  if (seed_protocols.size() > 1) return "mixed";
  if (run_selection == "test") return "selected on test: leaks";
  if (run_selection == "validation") return "validation selection";
  return "";
}

// metrics.json's "validation" in words: what every validation figure of the seed means.
std::string validation_text(const json& v) {
  namespace vk = job_files::validation_key;
  if (!v.is_object() || !v.contains(vk::kKind) || !v[vk::kKind].is_string()) return "";
  const std::string kind = v[vk::kKind].get<std::string>();
  auto n = [&](const char* k) { return v.contains(k) && v[k].is_number() ? v[k].dump() : std::string("?"); };
  const std::string tail = ", RUL cap " + n(vk::kRMax) + ", window " + n(vk::kWindow);
  if (kind == "test") return "selected on the test set (leaks); no units held out" + tail;
  std::string range = "?";
  const json& cut = v.contains(vk::kCutRulRange) ? v[vk::kCutRulRange] : json();
  if (cut.is_array() && cut.size() == 2) range = cut[0].dump() + "-" + cut[1].dump();
  const std::string held = n(vk::kUnitsHeldOut) + " training units held out";
  if (kind == "last_window")
    return "last_window: " + held + ", each cut at " + n(vk::kCutsPerUnit) + " points (true RUL " + range +
           " at the cut; " + n(vk::kCutWindows) + " windows scored, the last before each cut)" + tail;
  return "all_windows: " + held + ", every window scored (" + n(vk::kWindows) + ")" + tail;
}

// A dataset's validation protocol: its done seeds' one text, or each different one with its seeds.
std::string dataset_validation(const RunResults& run, const std::string& ds) {
  std::map<std::string, std::string> seeds_by_text;
  for (const SeedResult& s : run.seeds_results)
    if (s.dataset == ds && s.state == "done" && s.has_metrics) {
      std::string& seeds = seeds_by_text[validation_text(s.validation)];
      seeds += (seeds.empty() ? "s" : ", s") + std::to_string(s.seed);
    }
  if (seeds_by_text.size() == 1) return seeds_by_text.begin()->first;
  std::string out = seeds_by_text.empty() ? "" : "mixed: ";
  for (const auto& [text, seeds] : seeds_by_text)
    out += (out == "mixed: " ? "" : "; ") + seeds + ": " + (text.empty() ? "not recorded" : text);
  return out;
}

// A dataset's statistics over its done seeds with metrics, the list of the others, the
// published figure and (unless `with_baseline` is false) the constant baseline.
DatasetResult dataset_result(const RunResults& run, const std::string& ds, bool with_baseline) {
  DatasetResult d;
  d.dataset = ds;
  std::vector<double> rmses;
  std::set<std::string> protocols;
  std::map<std::string, std::string> seeds_by_data;  // data_crc32 -> "s1, s2"
  for (const SeedResult& s : run.seeds_results) {
    if (s.dataset != ds) continue;
    if (s.planned) ++d.planned;
    if (s.state == "done" && s.has_metrics) {
      rmses.push_back(s.test_rmse);
      if (!s.protocol.empty()) protocols.insert(s.protocol);
      if (!s.data_crc32.empty()) {
        std::string& seeds = seeds_by_data[s.data_crc32];
        seeds += (seeds.empty() ? "s" : ", s") + std::to_string(s.seed);
      }
    } else {
      d.not_done.push_back(not_done_text(s));
    }
  }
  d.done = static_cast<int>(rmses.size());
  d.rmse = summarize(rmses);
  // The data files changed during the run (regenerated, fixed, re-synced): one mean over two data
  // sets would be a number about neither.
  if (seeds_by_data.size() > 1)
    for (const auto& [crc, seeds] : seeds_by_data)
      d.mixed_data += (d.mixed_data.empty() ? "" : "; ") + seeds + " on data files crc32 " + crc;
  d.reference = published_reference(ds);
  d.protocol = dataset_protocol(protocols, run.selection);
  d.validation = dataset_validation(run, ds);
  d.ensemble = dataset_ensemble(run.seeds_results, ds);
  if (with_baseline) d.baseline = constant_baseline(run.data_dir, ds, run.r_max);
  else d.baseline.why_not = "not computed";
  return d;
}

}  // namespace

const SeedResult* median_seed(const RunResults& run, const std::string& dataset) {
  std::vector<const SeedResult*> done;
  for (const SeedResult& s : run.seeds_results)
    if (s.dataset == dataset && s.state == "done" && s.has_metrics) done.push_back(&s);
  if (done.empty()) return nullptr;
  std::stable_sort(done.begin(), done.end(),
                   [](const SeedResult* a, const SeedResult* b) { return a->test_rmse < b->test_rmse; });
  return done[(done.size() - 1) / 2];
}

Result<RunResults> collect_run_results(const Storage& storage, const std::string& run_dir, bool with_baseline) {
  // Through the storage seam like every read of the run dir: a directory is what can be listed.
  if (auto listing = storage.list_files(run_dir); !listing)
    return Result<RunResults>::Error("run dir " + run_dir + " does not exist (or is not a directory): " + listing.message());
  const std::string ledger_file = ledger_path(run_dir);
  if (!storage.exists(ledger_file) && !storage.exists(run_dir + "/experiment.json"))
    return Result<RunResults>::Error(run_dir + " is not an amnl run dir: it has neither ledger.jsonl nor experiment.json");
  RunResults run;
  run.run_dir = run_dir;
  run.generated = utc_now_iso();
  read_experiment(storage, run);
  const LedgerFold ledger = read_ledger(storage, ledger_file, run);
  read_run_state(storage, ledger.session().open(), run);
  const std::set<std::string> planned = add_planned_seeds(storage, ledger.jobs(), run);
  add_unplanned_seeds(storage, ledger.jobs(), planned, ledger_file, run);
  for (const std::string& ds : run.datasets) run.dataset_results.push_back(dataset_result(run, ds, with_baseline));
  for (const DatasetResult& d : run.dataset_results)
    if (!d.mixed_data.empty())
      run.warnings.push_back(d.dataset + ": its seeds trained on different data files (" + d.mixed_data +
                             "): the data changed during the run, so its statistics mix data sets; "
                             "run the experiment in a new run dir for figures over one data set");
  return run;
}

}  // namespace amnl::orch
