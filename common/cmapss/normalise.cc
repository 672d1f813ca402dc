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

}  // namespace

Result<ScalerParams> fit_scaler(const CmapssTable& table, const std::vector<UnitRange>& fit_units,
                                const DataOptions& options, double* within_share) {
  AMNL_RETURN_IF_ERROR(check_options(options));
  std::vector<size_t> rows;
  for (const UnitRange& u : fit_units)
    for (size_t r = u.begin; r < u.end && r < table.rows(); ++r) rows.push_back(r);
  if (rows.empty()) return Result<ScalerParams>::Error(table.path + ": no training rows to fit the normalisation on");

  ScalerParams p;
  p.features = default_feature_names();
  p.feature_columns = default_feature_columns();
  p.r_max = options.r_max;
  p.window = options.window;
  const size_t num_features = p.features.size();

  // Global statistics: the whole answer in global mode, the settings' scale for clustering, and
  // the fallback for conditions too small to estimate a spread.
  std::vector<double> global_mean(num_features), global_sd(num_features);
  for (size_t f = 0; f < num_features; ++f) column_stats(table, rows, p.feature_columns[f], global_mean[f], global_sd[f]);
  double setting_mean[3], setting_sd[3];
  for (int j = 0; j < 3; ++j) column_stats(table, rows, j, setting_mean[j], setting_sd[j]);

  double share = 1.0;
  if (options.normalisation != "global") {
    // Cluster in standardised setting space so that every setting counts, whatever its unit.
    std::vector<double> points(rows.size() * 3);
    double total_ss = 0;
    for (size_t i = 0; i < rows.size(); ++i)
      for (int j = 0; j < 3; ++j) {
        const double z = (table.row_values(rows[i])[j] - setting_mean[j]) / setting_sd[j];
        points[i * 3 + j] = z;
        total_ss += z * z;
      }
    const KMeansResult km = kmeans(points, 3, options.conditions, options.kmeans_seed, options.kmeans_restarts);
    share = total_ss > 0 ? km.inertia / total_ss : 1.0;
    p.per_condition = options.normalisation == "per_condition" ||
                      (options.conditions > 1 && share < kAutoWithinShareThreshold);
    if (p.per_condition) {
      p.condition_scale = {setting_sd[0], setting_sd[1], setting_sd[2]};
      for (int c = 0; c < km.k; ++c) {
        std::array<double, 3> centroid;
        for (int j = 0; j < 3; ++j) centroid[j] = km.centroids[static_cast<size_t>(c) * 3 + j] * setting_sd[j] + setting_mean[j];
        p.centroids.push_back(centroid);
      }
    }
  }
  if (within_share) *within_share = share;

  if (!p.per_condition) {
    p.mean = {global_mean};
    p.stddev = {global_sd};
    return p;
  }
  // Rows take their condition by the same nearest-centroid rule that test rows use.
  const size_t k = p.centroids.size();
  std::vector<std::vector<size_t>> rows_of(k);
  for (size_t r : rows) rows_of[static_cast<size_t>(p.condition_of(table.row_values(r)))].push_back(r);
  p.mean.assign(k, global_mean);
  p.stddev.assign(k, global_sd);
  for (size_t c = 0; c < k; ++c) {
    if (rows_of[c].size() < 2) continue;  // too few rows for a spread: keep the global statistics
    for (size_t f = 0; f < num_features; ++f) {
      // Settings stay globally z-scored: per condition they are pure noise, globally they tell
      // the model which condition it is in.
      if (p.feature_columns[f] < 3) continue;
      column_stats(table, rows_of[c], p.feature_columns[f], p.mean[c][f], p.stddev[c][f]);
    }
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
