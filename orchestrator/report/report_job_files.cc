#include "orchestrator/report/report_job_files.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include "common/job_dir_files.h"

namespace amnl::orch {

using nlohmann::json;
namespace hk = job_files::history_key;
namespace mk = job_files::metrics_key;

namespace {

bool finite_number(const json& j, const char* key, double& out) {
  if (!j.contains(key) || !j[key].is_number()) return false;
  out = j[key].get<double>();
  return std::isfinite(out);
}

bool whole_number(const json& j, const char* key, int& out) {
  if (!j.contains(key) || !j[key].is_number_integer()) return false;
  const auto v = j[key].get<int64_t>();
  if (v < -1000000000 || v > 1000000000) return false;
  out = static_cast<int>(v);
  return true;
}

// The validation kind is named where metrics.json records it (runs since issue 26).
std::string protocol_of(const std::string& selection, const std::string& validation_kind) {
  if (selection == "test") return "selected on test: leaks";
  if (selection == "validation" && validation_kind == "last_window") return "validation selection (last window)";
  if (selection == "validation" && validation_kind == "all_windows") return "validation selection (all windows)";
  if (selection == "validation") return "validation selection";
  return "unknown selection";
}

std::string read_history(const Storage& storage, const std::string& path, SeedResult& seed) {
  auto bytes = storage.read(path);
  if (!bytes) return path + ": " + bytes.message();
  const json h = json::parse(*bytes, nullptr, false);
  if (!h.is_array()) return path + ": not a JSON array of epochs";
  std::vector<EpochPoint> points;
  size_t index = 0;
  for (const json& e : h) {
    EpochPoint p;
    if (!e.is_object() || !whole_number(e, hk::kEpoch, p.epoch))
      return path + ": entry " + std::to_string(index) + " is not an object with an integer epoch";
    ++index;
    // The selection metric: val_rmse, or under selection "test" (val_rmse null) test_rmse.
    finite_number(e, hk::kValAllWindowsRmse, p.val_all_windows_rmse);
    if (finite_number(e, hk::kValRmse, p.val_rmse) || finite_number(e, hk::kTestRmse, p.val_rmse)) points.push_back(p);
  }
  seed.history = std::move(points);
  return "";
}

std::string read_predictions(const Storage& storage, const std::string& path, SeedResult& seed) {
  auto bytes = storage.read(path);
  if (!bytes) return path + ": " + bytes.message();
  std::istringstream in(*bytes);
  std::string line;
  if (!std::getline(in, line) || line != job_files::kTestPredictionsHeader)
    return path + ": first line must be '" + std::string(job_files::kTestPredictionsHeader) + "'";
  std::vector<TestPrediction> rows;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    TestPrediction p;
    char tail = 0;
    if (std::sscanf(line.c_str(), "%d,%lf,%lf,%d,%d%c", &p.unit, &p.true_rul, &p.predicted_rul, &p.health_true,
                    &p.health_predicted, &tail) != 5 ||
        !std::isfinite(p.true_rul) || !std::isfinite(p.predicted_rul))
      return path + ": line " + std::to_string(line_no) + " is not " + job_files::kTestPredictionsHeader;
    rows.push_back(p);
  }
  seed.predictions = std::move(rows);
  return "";
}

}  // namespace

std::string take_metrics(const json& m, const std::string& source, SeedResult& seed) {
  if (!m.is_object()) return source + ": not a JSON object";
  SeedResult s = seed;
  struct Field {
    const char* key;
    double* out;
  };
  for (const Field& f : {Field{mk::kTestRmse, &s.test_rmse}, Field{mk::kTestMae, &s.test_mae},
                         Field{mk::kNasaScore, &s.nasa_score}, Field{mk::kHealthAccuracy, &s.health_accuracy},
                         Field{mk::kHealthMacroF1, &s.health_macro_f1}})
    if (!finite_number(m, f.key, *f.out)) return source + ": field '" + f.key + "' is missing or not a finite number";
  double v = 0;
  if (finite_number(m, mk::kValRmse, v)) s.val_rmse = v;
  if (finite_number(m, mk::kValLastWindowRmse, v)) s.val_last_window_rmse = v;
  if (finite_number(m, mk::kValAllWindowsRmse, v)) s.val_all_windows_rmse = v;
  if (m.contains(mk::kValidation) && m[mk::kValidation].is_object()) {
    s.validation = m[mk::kValidation];
    const char* kind = job_files::validation_key::kKind;
    if (s.validation.contains(kind) && s.validation[kind].is_string()) s.validation_kind = s.validation[kind].get<std::string>();
  }
  whole_number(m, mk::kBestEpoch, s.best_epoch);
  whole_number(m, mk::kEpochsRun, s.epochs_run);
  if (m.contains(mk::kSelection) && m[mk::kSelection].is_string()) s.selection = m[mk::kSelection].get<std::string>();
  if (m.contains(mk::kDataCrc32) && m[mk::kDataCrc32].is_string()) s.data_crc32 = m[mk::kDataCrc32].get<std::string>();
  if (m.contains(mk::kRun) && m[mk::kRun].is_object()) {
    const json& run = m[mk::kRun];
    if (finite_number(run, mk::kRunWallSeconds, v)) s.wall_seconds = v;
    int resumes = 0;
    if (whole_number(run, mk::kRunResumes, resumes)) s.resumes = std::max(s.resumes, resumes);
    int attempt = 0;
    if (whole_number(run, mk::kRunAttempt, attempt)) s.attempts = std::max(s.attempts, attempt);
  }
  s.protocol = protocol_of(s.selection, s.validation_kind);
  s.has_metrics = true;
  s.metrics_source = source;
  seed = std::move(s);
  return "";
}

bool read_job_files(const Storage& storage, SeedResult& seed) {
  if (seed.job_dir.empty()) return false;
  bool have_metrics = false;
  const std::string metrics_path = seed.job_dir + "/" + job_files::kMetrics;
  if (storage.exists(metrics_path)) {
    auto bytes = storage.read(metrics_path);
    if (!bytes) {
      seed.problems.push_back(metrics_path + ": " + bytes.message());
    } else {
      const json m = json::parse(*bytes, nullptr, false);
      const std::string problem =
          m.is_discarded() ? metrics_path + ": not valid JSON" : take_metrics(m, metrics_path, seed);
      if (problem.empty()) {
        seed.metrics_source = job_files::kMetrics;
        have_metrics = true;
      } else {
        seed.problems.push_back(problem);
      }
    }
  }
  const std::string history_path = seed.job_dir + "/" + job_files::history_json_name(seed.dataset, seed.seed);
  if (storage.exists(history_path)) {
    if (auto p = read_history(storage, history_path, seed); !p.empty()) seed.problems.push_back(p);
  }
  const std::string predictions_path = seed.job_dir + "/" + job_files::kTestPredictions;
  if (storage.exists(predictions_path)) {
    if (auto p = read_predictions(storage, predictions_path, seed); !p.empty()) seed.problems.push_back(p);
  }
  return have_metrics;
}

}  // namespace amnl::orch
