#pragma once
// The C-MAPSS data pipeline of ../shared/spec/amnl.md ("Data", "Health labels"): parse the
// train_/test_/RUL_ files, select 17 features, cap RUL, find operating conditions (k-means) and
// normalise on training units only, build 30-cycle stride-1 windows as indices into ONE
// (rows x features) array (never 30 copies of the series), split validation units by seed.
// No torch here: the trainer wraps `features` in a tensor once and gathers windows by index.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace amnl::data {

// Raw columns after unit and cycle: op1..op3, s1..s21.
inline constexpr int kValueColumns = 24;
inline constexpr int kFileColumns = 26;

// The model's 17 inputs: 3 operating settings + 14 sensors (s1,s5,s6,s10,s16,s18,s19 dropped).
const std::vector<std::string>& default_feature_names();

// One parsed train_ or test_ file.
struct CmapssTable {
  std::string path;
  std::vector<int> unit;      // per row
  std::vector<int> cycle;     // per row; 1, 2, ... within each unit
  std::vector<float> values;  // rows x kValueColumns, row-major
  size_t rows() const { return unit.size(); }
  int num_units() const;      // distinct units (rows of a unit are contiguous)
};

// Errors name the file, the line and the problem (missing, empty, wrong column count,
// non-numeric, NaN/inf, cycles not increasing by one within a unit).
Result<CmapssTable> read_cmapss_table(const std::string& path);
// One true RUL per test unit; the line count must equal `expected_units`.
Result<std::vector<double>> read_rul_file(const std::string& path, int expected_units);

struct DataOptions {
  int window = 30;
  double r_max = 125.0;
  double normal_above = 80.0;          // health 0 when RUL > this
  double critical_at_or_below = 30.0;  // health 2 when RUL <= this; 1 in between
  double val_fraction = 0.2;           // of training units, split by unit
  uint64_t split_seed = 0;             // the job's seed
  std::string normalisation = "auto";  // "auto" | "global" | "per_condition"
  int conditions = 6;                  // k of k-means for per-condition normalisation
  uint64_t kmeans_seed = 12345;
  int kmeans_restarts = 10;
};

// Everything needed to normalise new data exactly as training data was: goes into every
// checkpoint and the deployment model. JSON round trip is exact (doubles printed losslessly).
struct ScalerParams {
  std::vector<std::string> features;           // feature names, model input order
  std::vector<int> feature_columns;            // indices into the kValueColumns raw values
  bool per_condition = false;
  std::vector<std::array<double, 3>> centroids;   // k x (op1, op2, op3); empty when global
  std::vector<std::vector<double>> mean, stddev;  // [condition][feature]; one row when global
  double r_max = 125.0;
  int window = 30;

  int condition_of(const float* raw_values) const;  // nearest centroid (0 when global)
  nlohmann::json to_json() const;
  static Result<ScalerParams> from_json(const nlohmann::json& j);
  bool operator==(const ScalerParams& other) const;
};

// Windows over one normalised (rows x num_features) array.
struct WindowSet {
  int window = 30;
  int num_features = 0;
  std::vector<float> features;     // rows x num_features, normalised: the one array
  std::vector<int64_t> end_row;    // per window: row of its last cycle (its target's cycle)
  std::vector<int64_t> first_row;  // per window: first row of its unit; padding repeats it
  std::vector<float> rul;          // per window, capped at r_max
  std::vector<int64_t> health;     // per window: 0 normal, 1 degrading, 2 critical
  std::vector<int> unit;           // per window: unit id
  size_t size() const { return end_row.size(); }
  size_t rows() const { return num_features ? features.size() / num_features : 0; }
  // Row holding time step k (0 .. window-1) of window i (left padding by the unit's first row).
  int64_t row_of(size_t i, int k) const {
    const int64_t r = end_row[i] - (window - 1) + k;
    return r < first_row[i] ? first_row[i] : r;
  }
};

struct PreparedData {
  ScalerParams scaler;
  WindowSet train;   // every stride-1 window of the training units not held out
  WindowSet val;     // every stride-1 window of the held-out units
  WindowSet test;    // the last window of each test unit, RUL from RUL_<dataset>.txt (capped)
  std::vector<int> train_units, val_units;
  std::vector<int> condition_rows;  // training rows per condition (size k, or 1 when global)
};

// Reads <data_dir>/{train,test,RUL}_<dataset>.txt. `dataset` must be a plain name.
Result<PreparedData> prepare_dataset(const std::string& data_dir, const std::string& dataset,
                                     const DataOptions& options);

// Deployment path: the last window of each unit of `table`, normalised with `scaler` alone.
// `true_rul` (one per unit, may be null) fills rul/health; otherwise they are zero.
Result<WindowSet> last_windows(const CmapssTable& table, const ScalerParams& scaler,
                               const DataOptions& labels, const std::vector<double>* true_rul);

}  // namespace amnl::data
