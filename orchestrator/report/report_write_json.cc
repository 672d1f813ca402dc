// results.json and per_seed.csv: the report for machines.
#include <cmath>
#include <cstdio>

#include "orchestrator/report/report_format.h"

namespace amnl::orch {

using nlohmann::json;

std::string format_number(double v, int decimals) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string interval_text(const SampleSummary& s, int decimals) {
  if (s.n == 0) return "no done seeds";
  if (!s.has_interval) return "n=1: no interval";
  return "[" + format_number(s.ci_low, decimals) + ", " + format_number(s.ci_high, decimals) + "]";
}

namespace {

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(); }

json seed_json(const SeedResult& s) {
  json j = {{"dataset", s.dataset}, {"seed", s.seed}, {"job", s.job}, {"state", s.state},
            {"planned", s.planned}, {"reason", s.reason}};
  if (s.has_metrics) {
    j["test_rmse"] = s.test_rmse;
    j["test_mae"] = s.test_mae;
    j["nasa_score"] = s.nasa_score;
    j["health_accuracy"] = s.health_accuracy;
    j["health_macro_f1"] = s.health_macro_f1;
  } else {
    for (const char* k : {"test_rmse", "test_mae", "nasa_score", "health_accuracy", "health_macro_f1"}) j[k] = nullptr;
  }
  j["val_rmse"] = optional_number(s.val_rmse);
  j["val_last_window_rmse"] = optional_number(s.val_last_window_rmse);
  j["val_all_windows_rmse"] = optional_number(s.val_all_windows_rmse);
  j["validation"] = s.validation.is_object() ? s.validation : json();
  j["best_epoch"] = s.best_epoch >= 0 ? json(s.best_epoch) : json();
  j["epochs_run"] = s.epochs_run >= 0 ? json(s.epochs_run) : json();
  j["wall_seconds"] = optional_number(s.wall_seconds);
  j["attempts"] = s.attempts;
  j["resumes"] = s.resumes;
  j["resumed_from_epoch"] = s.resumed_from_epoch;
  j["selection"] = s.selection;
  j["protocol"] = s.protocol;
  j["metrics_source"] = s.metrics_source;
  j["data_crc32"] = s.data_crc32.empty() ? json() : json(s.data_crc32);
  j["problems"] = s.problems;
  j["history_epochs"] = s.history.size();
  j["test_predictions"] = s.predictions.size();
  j["job_dir"] = s.job_dir;
  return j;
}

json dataset_json(const DatasetResult& d) {
  const SampleSummary& r = d.rmse;
  json rmse = {{"n", r.n}};
  if (r.n > 0) {
    rmse["mean"] = r.mean;
    rmse["sd"] = r.n > 1 ? json(r.sd) : json();
    rmse["min"] = r.min;
    rmse["max"] = r.max;
  }
  rmse["ci95"] = r.has_interval ? json::array({r.ci_low, r.ci_high}) : json();
  rmse["t_critical"] = r.has_interval ? json(r.t_critical) : json();
  if (!r.has_interval) rmse["interval_note"] = interval_text(r, 3);
  json j = {{"dataset", d.dataset}, {"planned", d.planned}, {"done", d.done}, {"test_rmse", rmse},
            {"protocol", d.protocol}, {"not_done", d.not_done}};
  if (!d.mixed_data.empty()) j["mixed_data"] = d.mixed_data;
  j["validation"] = d.validation;
  j["ensemble"] = ensemble_json(d.ensemble, d.rmse);
  if (d.reference) {
    j["reference"] = {{"mean", d.reference->mean}, {"sd", d.reference->sd},
                      {"difference", r.n > 0 ? json(r.mean - d.reference->mean) : json()},
                      {"source", "published, 5 seeds (shared/spec/amnl.md)"}};
  } else {
    j["reference"] = nullptr;
  }
  if (d.baseline.available)
    j["baseline"] = {{"kind", "constant: mean capped training RUL"}, {"predicted_rul", d.baseline.predicted_rul},
                     {"test_rmse", d.baseline.test_rmse}, {"test_units", d.baseline.test_units}};
  else
    j["baseline"] = {{"kind", "constant: mean capped training RUL"}, {"test_rmse", nullptr},
                     {"why_not", d.baseline.why_not}};
  return j;
}

std::string csv_field(const std::string& s) {
  bool quote = false;
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\r') c = ' ';
    if (c == ',' || c == '"') quote = true;
    if (c == '"') out += '"';
    out += c;
  }
  return quote ? "\"" + out + "\"" : out;
}

std::string csv_number(double v) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

json results_json(const RunResults& run, const PlotSet& plots) {
  json j = {{"schema", "amnl.results/1"},
            {"run_dir", run.run_dir},
            {"generated", run.generated},
            {"run_state", run.run_state},
            {"data_dir", run.data_dir},
            {"preset", run.preset},
            {"selection", run.selection},
            {"r_max", run.r_max},
            {"planned", {{"datasets", run.datasets}, {"seeds", run.seeds}}},
            {"warnings", run.warnings}};
  j["datasets"] = json::array();
  for (const DatasetResult& d : run.dataset_results) j["datasets"].push_back(dataset_json(d));
  j["seeds"] = json::array();
  for (const SeedResult& s : run.seeds_results) j["seeds"].push_back(seed_json(s));
  json files = json::array();
  for (const PlotImage& p : plots.images) files.push_back("plots/" + p.file);
  j["plots"] = {{"rendered", plots.rendered}, {"why_not", plots.why_not}, {"files", files}};
  return j;
}

const std::vector<std::pair<std::string, std::string>>& per_seed_columns() {
  static const std::vector<std::pair<std::string, std::string>> kColumns = {
      {"dataset", "data set name"},
      {"seed", "the job's seed"},
      {"job", "job id <dataset>-s<seed>"},
      {"state", "done | failed | running | pending | missing"},
      {"test_rmse", "RMSE on the last cycle of each test unit (empty unless done)"},
      {"test_mae", "MAE on the same"},
      {"nasa_score", "NASA asymmetric score summed over test units"},
      {"health_accuracy", "health-state accuracy on test last windows"},
      {"health_macro_f1", "health-state macro-F1 on the same"},
      {"val_rmse", "validation RMSE of the kind that selected (column validation; empty under selection=test)"},
      {"val_last_window_rmse", "RMSE of the last window before each cut point of the held-out units"},
      {"val_all_windows_rmse", "RMSE over every window of the held-out units"},
      {"best_epoch", "epoch of the selected model"},
      {"epochs_run", "epochs trained in all"},
      {"wall_seconds", "training wall time over every attempt, plus the final evaluation"},
      {"attempts", "attempts assigned by the coordinator"},
      {"resumes", "times training resumed from a checkpoint"},
      {"resumed_from_epoch", "epoch the final attempt resumed from (-1: started fresh)"},
      {"protocol", "validation selection [(last window | all windows)] | selected on test: leaks"},
      {"validation", "validation kind: last_window | all_windows | test (empty: not recorded)"},
      {"reason", "why the seed is not done"},
      {"problems", "unreadable or inconsistent files, '; '-separated"},
  };
  return kColumns;
}

std::string per_seed_csv(const RunResults& run) {
  std::string out;
  for (const auto& [name, meaning] : per_seed_columns()) out += (out.empty() ? "" : ",") + name;
  out += "\n";
  for (const SeedResult& s : run.seeds_results) {
    const bool m = s.has_metrics;
    std::string problems;
    for (const std::string& p : s.problems) problems += (problems.empty() ? "" : "; ") + p;
    const std::vector<std::string> cells = {
        csv_field(s.dataset),
        std::to_string(s.seed),
        csv_field(s.job),
        s.state,
        m ? csv_number(s.test_rmse) : "",
        m ? csv_number(s.test_mae) : "",
        m ? csv_number(s.nasa_score) : "",
        m ? csv_number(s.health_accuracy) : "",
        m ? csv_number(s.health_macro_f1) : "",
        s.val_rmse ? csv_number(*s.val_rmse) : "",
        s.val_last_window_rmse ? csv_number(*s.val_last_window_rmse) : "",
        s.val_all_windows_rmse ? csv_number(*s.val_all_windows_rmse) : "",
        s.best_epoch >= 0 ? std::to_string(s.best_epoch) : "",
        s.epochs_run >= 0 ? std::to_string(s.epochs_run) : "",
        s.wall_seconds ? csv_number(*s.wall_seconds) : "",
        std::to_string(s.attempts),
        std::to_string(s.resumes),
        std::to_string(s.resumed_from_epoch),
        csv_field(s.protocol),
        csv_field(s.validation_kind),
        csv_field(s.reason),
        csv_field(problems)};
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + cells[i];
    out += line + "\n";
  }
  return out;
}

std::string base64_encode(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace amnl::orch
