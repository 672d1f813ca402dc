#pragma once
// The C-MAPSS data pipeline of ../shared/spec/amnl.md ("Data", "Health labels"): parse the
// train_/test_/RUL_ files, select 17 features, cap RUL, find operating conditions (k-means) and
// normalise on training units only, build 30-cycle stride-1 windows as indices into ONE
// (rows x features) array (never 30 copies of the series), split validation units by seed.
// No torch here: the trainer wraps `features` in a tensor once and gathers windows by index.
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cmapss/data_option_fields.h"
#include "common/status.h"

namespace amnl::data {

// Raw columns after unit and cycle: op1..op3, s1..s21.
inline constexpr int kValueColumns = 24;
inline constexpr int kFileColumns = 26;

// The model's 17 inputs: 3 operating settings + 14 sensors (s1,s5,s6,s10,s16,s18,s19 dropped).
const std::vector<std::string>& default_feature_names();

// The rows [begin, end) of one unit in a table (rows of a unit are contiguous).
struct UnitRange {
  int unit = 0;
  size_t begin = 0, end = 0;
  size_t length() const { return end - begin; }
};

// One parsed train_ or test_ file.
struct CmapssTable {
  std::string path;
  std::vector<int> unit;      // per row
  std::vector<int> cycle;     // per row; 1, 2, ... within each unit
  std::vector<float> values;  // rows x kValueColumns, row-major
  size_t rows() const { return unit.size(); }
  int num_units() const;      // distinct units (rows of a unit are contiguous)
  std::vector<UnitRange> unit_ranges() const;  // in file order
  const float* row_values(size_t row) const { return values.data() + row * kValueColumns; }
};

// Errors name the file, the line and the problem (missing, empty, wrong column count,
// non-numeric, NaN/inf, cycles not increasing by one within a unit).
Result<CmapssTable> read_cmapss_table(const std::string& path);
// One true RUL per test unit; the line count must equal `expected_units`.
Result<std::vector<double>> read_rul_file(const std::string& path, int expected_units);

// Defaults and bounds: data_option_fields.h, shared with the recipe's data section.
struct DataOptions {
  int window = option_field::kWindow.fallback;
  double r_max = option_field::kRMax.fallback;
  double normal_above = option_field::kNormalAbove.fallback;                  // health 0 when RUL > this
  double critical_at_or_below = option_field::kCriticalAtOrBelow.fallback;  // health 2 when RUL <= this
  double val_fraction = option_field::kValFraction.fallback;                  // of training units, by unit
  uint64_t split_seed = 0;                                                    // the job's seed
  std::string normalisation = option_field::kNormalisation.fallback;  // "auto" | "global" | "per_condition"
  int conditions = option_field::kConditions.fallback;                // k of k-means for per-condition normalisation
  uint64_t kmeans_seed = static_cast<uint64_t>(option_field::kKmeansSeed.fallback);
  int kmeans_restarts = option_field::kKmeansRestarts.fallback;
  // The validation set shaped like the test (validation_cuts.h): each held-out unit is cut at
  // `val_cuts_per_unit` points whose true RUL spans [val_cut_min_rul, val_cut_max_rul] (at most
  // the unit's length - 1), and the last window before each cut is scored, as NASA cut the test
  // units. "last_window" makes that RMSE drive selection; "all_windows" every held-out window's.
  std::string validation = option_field::kValidation.fallback;  // "last_window" | "all_windows"
  int val_cuts_per_unit = option_field::kValCutsPerUnit.fallback;
  double val_cut_min_rul = option_field::kValCutMinRul.fallback;
  double val_cut_max_rul = option_field::kValCutMaxRul.fallback;
};

// Ok, or an InvalidArgument naming the first option outside its bounds (data_option_fields.h)
// or out of order with another ("data option window: must be >= 1, got 0").
Status check_options(const DataOptions& options);

// Health class from a (capped) RUL: 0 normal, 1 degrading, 2 critical.
int64_t health_label(double rul, const DataOptions& options);

// "auto" normalisation picks per_condition when k-means clusters explain the operating settings
// almost entirely: the within-cluster share of the settings' (standardised) variance is below
// this. Real multi-condition sets (FD002/FD004) sit near 1e-7; pure setting noise of one
// condition (FD001/FD003) cannot fall below ~0.04 even for the best 6-level quantiser.
inline constexpr double kAutoWithinShareThreshold = 1e-3;
// A standard deviation at or below kMinStd * max(1, |mean|) (a constant column) is stored as 1.
inline constexpr double kMinStd = 1e-6;

// Everything needed to normalise new data exactly as training data was: goes into every
// checkpoint and the deployment model. JSON round trip is exact (doubles printed losslessly).
struct ScalerParams {
  std::vector<std::string> features;           // feature names, model input order
  std::vector<int> feature_columns;            // indices into the kValueColumns raw values
  bool per_condition = false;
  std::vector<std::array<double, 3>> centroids;   // k x (op1, op2, op3); empty when global
  // Per-setting divisor used for the centroid distance (the settings' global std at fit time),
  // so that altitude (~0..42) does not drown Mach (~0..0.84) when assigning a condition.
  std::array<double, 3> condition_scale{1.0, 1.0, 1.0};
  std::vector<std::vector<double>> mean, stddev;  // [condition][feature]; one row when global
  double r_max = 125.0;
  int window = 30;

  int condition_of(const float* raw_values) const;  // nearest centroid (0 when global)
  int num_conditions() const { return static_cast<int>(mean.size()); }
  // Ok when the shapes agree (features, columns in range, one mean/stddev row per condition,
  // positive finite stddev), so that normalising with it cannot index out of bounds.
  Status validate() const;
  // Normalised feature f of one raw row of kValueColumns values, for condition c.
  float normalise(const float* raw_values, int condition, size_t f) const {
    const auto c = static_cast<size_t>(condition);
    return static_cast<float>((raw_values[feature_columns[f]] - mean[c][f]) / stddev[c][f]);
  }
  nlohmann::json to_json() const;
  static Result<ScalerParams> from_json(const nlohmann::json& j);
  bool operator==(const ScalerParams& other) const;
  bool operator!=(const ScalerParams& other) const { return !(*this == other); }
};

// Fits the scaler on the rows of `fit_units` of `table` (the training units, never validation or
// test). Mode per options.normalisation; see kAutoWithinShareThreshold for "auto". Per condition:
// sensors are z-scored per condition; the three operating settings are z-scored globally (their
// values are replicated into every condition row) so that the model still sees which condition
// a row is in; within a condition they are only noise. A condition with fewer than 2 rows uses
// the global statistics. `within_share` (optional) receives the within-cluster share of the
// settings' variance (1 when the settings do not vary at all).
Result<ScalerParams> fit_scaler(const CmapssTable& table, const std::vector<UnitRange>& fit_units,
                                const DataOptions& options, double* within_share = nullptr);

// Normalises rows [begin, end) of `table` into `out` ((end-begin) x features, appended) and
// appends each row's condition to `conditions` when non-null.
void normalise_rows(const CmapssTable& table, size_t begin, size_t end, const ScalerParams& scaler,
                    std::vector<float>& out, std::vector<int>* conditions);

// Splits `units` (ids) into (train, val): round(val_fraction * n) units held out, at least one
// when val_fraction > 0 and n >= 2, never all of them. Deterministic for `seed` on every
// platform: std::mt19937_64 with our own unbiased bounded draw and Fisher-Yates shuffle. Both
// lists come back in the order of `units`.
std::pair<std::vector<int>, std::vector<int>> split_units(const std::vector<int>& units,
                                                          double val_fraction, uint64_t seed);

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
  WindowSet val_cuts;  // the last window before each cut point of the held-out units (validation_cuts.h)
  WindowSet test;    // the last window of each test unit, RUL from RUL_<dataset>.txt (capped)
  std::vector<int> train_units, val_units;
  std::vector<int> condition_rows;  // training rows per condition (size k, or 1 when global)
  // What inspection and reports show; not needed to train.
  std::string dataset;
  size_t train_file_rows = 0, test_file_rows = 0;
  int train_file_units = 0, test_file_units = 0;
  std::vector<int> test_condition_rows;  // test rows per condition (nearest centroid)
  double settings_within_share = 1.0;    // see fit_scaler
};

// Reads <data_dir>/{train,test,RUL}_<dataset>.txt. `dataset` must be a plain name.
Result<PreparedData> prepare_dataset(const std::string& data_dir, const std::string& dataset,
                                     const DataOptions& options);

// Human-readable summary for `amnl data inspect`: units and rows, conditions found (centroids,
// train/test rows), normalisation mode and why, windows and health-label balance per split.
std::string inspection_report(const PreparedData& data, const DataOptions& options);

// Deployment path: the last window of each unit of `table`, normalised with `scaler` alone.
// `true_rul` (one per unit, may be null) fills rul/health; otherwise they are zero.
Result<WindowSet> last_windows(const CmapssTable& table, const ScalerParams& scaler,
                               const DataOptions& labels, const std::vector<double>* true_rul);

}  // namespace amnl::data
