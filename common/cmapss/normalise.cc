// Fitting the normalisation on training units (global z-score, or per operating condition found
// by k-means on the three settings) and applying it to rows.
#include <algorithm>
#include <cmath>
#include <string>

#include "common/cmapss/dataset.h"
#include "common/cmapss/kmeans.h"

namespace amnl::data {
namespace {

// Raw-value column of each default feature: op1..op3 are columns 0..2, sensor sN is column N + 2.
std::vector<int> default_feature_columns() {
  std::vector<int> columns;
  for (const std::string& name : default_feature_names())
    columns.push_back(name[0] == 'o' ? std::stoi(name.substr(2)) - 1 : std::stoi(name.substr(1)) + 2);
  return columns;
}

// A constant column has no spread to divide by: store 1 so it normalises to (value - mean) ~ 0.
double guarded_std(double variance, double mean) {
  const double sd = std::sqrt(std::max(variance, 0.0));
  return sd <= kMinStd * std::max(1.0, std::fabs(mean)) ? 1.0 : sd;
}

// Mean and population std of raw column `column` over `rows`, two passes for accuracy.
void column_stats(const CmapssTable& table, const std::vector<size_t>& rows, int column, double& mean, double& sd) {
  double sum = 0;
  for (size_t r : rows) sum += table.row_values(r)[column];
  mean = rows.empty() ? 0.0 : sum / static_cast<double>(rows.size());
  double ss = 0;
  for (size_t r : rows) {
    const double d = table.row_values(r)[column] - mean;
    ss += d * d;
  }
  sd = guarded_std(rows.empty() ? 0.0 : ss / static_cast<double>(rows.size()), mean);
}

// The rows of the units the scaler is fitted on, in order.
std::vector<size_t> rows_of_units(const CmapssTable& table, const std::vector<UnitRange>& units) {
  std::vector<size_t> rows;
  for (const UnitRange& u : units)
    for (size_t r = u.begin; r < u.end && r < table.rows(); ++r) rows.push_back(r);
  return rows;
}

// Global statistics: the whole answer in global mode, the settings' scale for clustering, and
// the fallback for conditions too small to estimate a spread.
struct GlobalStats {
  std::vector<double> mean, sd;  // per feature
  double setting_mean[3], setting_sd[3];
};

GlobalStats global_stats(const CmapssTable& table, const std::vector<size_t>& rows, const ScalerParams& p) {
  GlobalStats g;
  g.mean.resize(p.features.size());
  g.sd.resize(p.features.size());
  for (size_t f = 0; f < p.features.size(); ++f) column_stats(table, rows, p.feature_columns[f], g.mean[f], g.sd[f]);
  for (int j = 0; j < 3; ++j) column_stats(table, rows, j, g.setting_mean[j], g.setting_sd[j]);
  return g;
}

// k-means over the operating settings: decides p.per_condition and, if so, sets its centroids
// and setting scale. Returns the within-cluster share of the settings' variance.
double find_conditions(const CmapssTable& table, const std::vector<size_t>& rows, const GlobalStats& g,
                       const DataOptions& options, ScalerParams& p) {
  // Cluster in standardised setting space so that every setting counts, whatever its unit.
  std::vector<double> points(rows.size() * 3);
  double total_ss = 0;
  for (size_t i = 0; i < rows.size(); ++i)
    for (int j = 0; j < 3; ++j) {
      const double z = (table.row_values(rows[i])[j] - g.setting_mean[j]) / g.setting_sd[j];
      points[i * 3 + j] = z;
      total_ss += z * z;
    }
  const KMeansResult km = kmeans(points, 3, options.conditions, options.kmeans_seed, options.kmeans_restarts);
  const double share = total_ss > 0 ? km.inertia / total_ss : 1.0;
  p.per_condition = options.normalisation == "per_condition" ||
                    (options.conditions > 1 && share < kAutoWithinShareThreshold);
  if (p.per_condition) {
    p.condition_scale = {g.setting_sd[0], g.setting_sd[1], g.setting_sd[2]};
    for (int c = 0; c < km.k; ++c) {
      std::array<double, 3> centroid;
      for (int j = 0; j < 3; ++j)
        centroid[j] = km.centroids[static_cast<size_t>(c) * 3 + j] * g.setting_sd[j] + g.setting_mean[j];
      p.centroids.push_back(centroid);
    }
  }
  return share;
}

// Per-condition mean and std of the sensors (p.centroids set), the global ones where a
// condition has too few rows.
void fit_per_condition(const CmapssTable& table, const std::vector<size_t>& rows, const GlobalStats& g,
                       ScalerParams& p) {
  // Rows take their condition by the same nearest-centroid rule that test rows use.
  const size_t k = p.centroids.size();
  std::vector<std::vector<size_t>> rows_of(k);
  for (size_t r : rows) rows_of[static_cast<size_t>(p.condition_of(table.row_values(r)))].push_back(r);
  p.mean.assign(k, g.mean);
  p.stddev.assign(k, g.sd);
  for (size_t c = 0; c < k; ++c) {
    if (rows_of[c].size() < 2) continue;  // too few rows for a spread: keep the global statistics
    for (size_t f = 0; f < p.features.size(); ++f) {
      // Settings stay globally z-scored: per condition they are pure noise, globally they tell
      // the model which condition it is in.
      if (p.feature_columns[f] < 3) continue;
      column_stats(table, rows_of[c], p.feature_columns[f], p.mean[c][f], p.stddev[c][f]);
    }
  }
}

}  // namespace

Result<ScalerParams> fit_scaler(const CmapssTable& table, const std::vector<UnitRange>& fit_units,
                                const DataOptions& options, double* within_share) {
  AMNL_RETURN_IF_ERROR(check_options(options));
  const std::vector<size_t> rows = rows_of_units(table, fit_units);
  if (rows.empty()) return Result<ScalerParams>::Error(table.path + ": no training rows to fit the normalisation on");

  ScalerParams p;
  p.features = default_feature_names();
  p.feature_columns = default_feature_columns();
  p.r_max = options.r_max;
  p.window = options.window;
  const GlobalStats g = global_stats(table, rows, p);
  const double share = options.normalisation != "global" ? find_conditions(table, rows, g, options, p) : 1.0;
  if (within_share) *within_share = share;
  if (p.per_condition) {
    fit_per_condition(table, rows, g, p);
  } else {
    p.mean = {g.mean};
    p.stddev = {g.sd};
  }
  return p;
}

void normalise_rows(const CmapssTable& table, size_t begin, size_t end, const ScalerParams& scaler,
                    std::vector<float>& out, std::vector<int>* conditions) {
  const size_t num_features = scaler.features.size();
  out.reserve(out.size() + (end - begin) * num_features);
  for (size_t r = begin; r < end; ++r) {
    const float* raw = table.row_values(r);
    const int c = scaler.condition_of(raw);
    for (size_t f = 0; f < num_features; ++f) out.push_back(scaler.normalise(raw, c, f));
    if (conditions) conditions->push_back(c);
  }
}

}  // namespace amnl::data
