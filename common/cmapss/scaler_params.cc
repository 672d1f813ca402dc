// ScalerParams: the normalisation that goes into every checkpoint. Its JSON form must reproduce
// the doubles bit for bit (a resumed or deployed model must see exactly the inputs it trained
// on): nlohmann::json prints doubles in shortest round-trip form and parses them back exactly.
#include <cmath>
#include <limits>
#include <string>

#include "common/cmapss/dataset.h"

namespace amnl::data {
namespace {

constexpr const char* kFormat = "amnl-scaler-v1";

using Json = nlohmann::json;

Status need(const Json& j, const char* key, bool (Json::*is_type)() const noexcept, const char* type) {
  if (!j.contains(key)) return Status::Error(std::string("scaler params: missing key '") + key + "'");
  if (!(j.at(key).*is_type)()) return Status::Error(std::string("scaler params: '") + key + "' must be " + type);
  return Status::Ok();
}

// A finite number from `v`, or an error naming `path`.
Status finite_number(const Json& v, const std::string& path, double& out) {
  if (!v.is_number()) return Status::Error("scaler params: " + path + " must be a number");
  out = v.get<double>();
  if (!std::isfinite(out)) return Status::Error("scaler params: " + path + " must be finite");
  return Status::Ok();
}

// An array of `cols` finite (and, when `positive`, > 0) numbers at `path`.
Status read_row(const Json& row, const std::string& path, size_t cols, bool positive, std::vector<double>& out) {
  if (!row.is_array() || row.size() != cols)
    return Status::Error("scaler params: " + path + " must be an array of " + std::to_string(cols) + " numbers");
  out.assign(cols, 0.0);
  for (size_t c = 0; c < cols; ++c) {
    const std::string item = path + "[" + std::to_string(c) + "]";
    AMNL_RETURN_IF_ERROR(finite_number(row[c], item, out[c]));
    if (positive && !(out[c] > 0)) return Status::Error("scaler params: " + item + " must be positive");
  }
  return Status::Ok();
}

// j[key]: `rows` rows of `cols` numbers.
Status read_matrix(const Json& j, const char* key, size_t rows, size_t cols, bool positive,
                   std::vector<std::vector<double>>& out) {
  AMNL_RETURN_IF_ERROR(need(j, key, &Json::is_array, "an array"));
  const Json& m = j.at(key);
  if (m.size() != rows)
    return Status::Error(std::string("scaler params: '") + key + "' has " + std::to_string(m.size()) +
                         " rows, expected " + std::to_string(rows));
  out.assign(rows, {});
  for (size_t r = 0; r < rows; ++r)
    AMNL_RETURN_IF_ERROR(read_row(m[r], std::string(key) + "[" + std::to_string(r) + "]", cols, positive, out[r]));
  return Status::Ok();
}

Result<ScalerParams> parse(const Json& j) {
  if (!j.is_object()) return Result<ScalerParams>::Error("scaler params: expected a JSON object");
  AMNL_RETURN_IF_ERROR(need(j, "format", &Json::is_string, "a string"));
  if (j.at("format").get<std::string>() != kFormat)
    return Result<ScalerParams>::Error("scaler params: unknown format '" + j.at("format").get<std::string>() +
                                       "', expected " + kFormat);
  ScalerParams p;
  AMNL_RETURN_IF_ERROR(need(j, "features", &Json::is_array, "an array"));
  AMNL_RETURN_IF_ERROR(need(j, "feature_columns", &Json::is_array, "an array"));
  const Json& names = j.at("features");
  const Json& columns = j.at("feature_columns");
  if (names.empty() || names.size() != columns.size())
    return Result<ScalerParams>::Error("scaler params: 'features' and 'feature_columns' must be non-empty and equally long");
  for (size_t f = 0; f < names.size(); ++f) {
    if (!names[f].is_string()) return Result<ScalerParams>::Error("scaler params: features[" + std::to_string(f) + "] must be a string");
    if (!columns[f].is_number_integer() || columns[f].get<int64_t>() < 0 || columns[f].get<int64_t>() >= kValueColumns)
      return Result<ScalerParams>::Error("scaler params: feature_columns[" + std::to_string(f) + "] must be an integer in 0.." +
                                         std::to_string(kValueColumns - 1));
    p.features.push_back(names[f].get<std::string>());
    p.feature_columns.push_back(columns[f].get<int>());
  }
  AMNL_RETURN_IF_ERROR(need(j, "per_condition", &Json::is_boolean, "true or false"));
  p.per_condition = j.at("per_condition").get<bool>();
  AMNL_RETURN_IF_ERROR(need(j, "centroids", &Json::is_array, "an array"));
  std::vector<std::vector<double>> centroids;
  AMNL_RETURN_IF_ERROR(read_matrix(j, "centroids", j.at("centroids").size(), 3, false, centroids));
  for (const auto& c : centroids) p.centroids.push_back({c[0], c[1], c[2]});
  AMNL_RETURN_IF_ERROR(need(j, "condition_scale", &Json::is_array, "an array"));
  std::vector<double> scale;
  AMNL_RETURN_IF_ERROR(read_row(j.at("condition_scale"), "condition_scale", 3, true, scale));
  p.condition_scale = {scale[0], scale[1], scale[2]};
  const size_t conditions = p.per_condition ? p.centroids.size() : 1;
  if (p.per_condition ? conditions == 0 : !p.centroids.empty())
    return Result<ScalerParams>::Error("scaler params: 'centroids' must be non-empty exactly when per_condition is true");
  AMNL_RETURN_IF_ERROR(read_matrix(j, "mean", conditions, p.features.size(), false, p.mean));
  AMNL_RETURN_IF_ERROR(read_matrix(j, "stddev", conditions, p.features.size(), true, p.stddev));
  AMNL_RETURN_IF_ERROR(finite_number(j.contains("r_max") ? j.at("r_max") : Json(), "'r_max'", p.r_max));
  if (!(p.r_max > 0)) return Result<ScalerParams>::Error("scaler params: 'r_max' must be positive");
  if (!j.contains("window") || !j.at("window").is_number_integer() || j.at("window").get<int64_t>() < 1 ||
      j.at("window").get<int64_t>() > 100000)
    return Result<ScalerParams>::Error("scaler params: 'window' must be an integer in 1..100000");
  p.window = j.at("window").get<int>();
  AMNL_RETURN_IF_ERROR(p.validate());
  return p;
}

}  // namespace

Status ScalerParams::validate() const {
  const size_t conditions = per_condition ? centroids.size() : 1;
  if (features.empty() || feature_columns.size() != features.size())
    return Status::Error("scaler params: features and feature_columns must be non-empty and equally long");
  for (int c : feature_columns)
    if (c < 0 || c >= kValueColumns) return Status::Error("scaler params: feature column " + std::to_string(c) + " out of range");
  if (conditions == 0 || mean.size() != conditions || stddev.size() != conditions)
    return Status::Error("scaler params: expected " + std::to_string(conditions) + " rows of mean and stddev, got " +
                         std::to_string(mean.size()) + " and " + std::to_string(stddev.size()));
  for (size_t c = 0; c < conditions; ++c) {
    if (mean[c].size() != features.size() || stddev[c].size() != features.size())
      return Status::Error("scaler params: mean/stddev row " + std::to_string(c) + " does not have one value per feature");
    for (double sd : stddev[c])
      if (!(sd > 0) || !std::isfinite(sd)) return Status::Error("scaler params: stddev must be positive and finite");
  }
  for (double s : condition_scale)
    if (!(s > 0) || !std::isfinite(s)) return Status::Error("scaler params: condition_scale must be positive and finite");
  if (window < 1 || !(r_max > 0)) return Status::Error("scaler params: window and r_max must be positive");
  return Status::Ok();
}

int ScalerParams::condition_of(const float* raw_values) const {
  if (!per_condition || centroids.size() <= 1) return 0;
  int best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (size_t c = 0; c < centroids.size(); ++c) {
    double d = 0;
    for (int j = 0; j < 3; ++j) {
      const double z = (raw_values[j] - centroids[c][j]) / condition_scale[j];
      d += z * z;
    }
    if (d < best_d) {  // ties go to the lower index, as in k-means
      best_d = d;
      best = static_cast<int>(c);
    }
  }
  return best;
}

nlohmann::json ScalerParams::to_json() const {
  Json centroid_rows = Json::array();
  for (const auto& c : centroids) centroid_rows.push_back({c[0], c[1], c[2]});
  return Json{{"format", kFormat},
              {"features", features},
              {"feature_columns", feature_columns},
              {"per_condition", per_condition},
              {"centroids", centroid_rows},
              {"condition_scale", {condition_scale[0], condition_scale[1], condition_scale[2]}},
              {"mean", mean},
              {"stddev", stddev},
              {"r_max", r_max},
              {"window", window}};
}

Result<ScalerParams> ScalerParams::from_json(const nlohmann::json& j) {
  // parse() checks every type before reading it; the catch is only a backstop so that no
  // exception can escape into a caller that loads checkpoints.
  try {
    return parse(j);
  } catch (const std::exception& e) {
    return Result<ScalerParams>::Error(std::string("scaler params: ") + e.what());
  }
}

bool ScalerParams::operator==(const ScalerParams& o) const {
  return features == o.features && feature_columns == o.feature_columns && per_condition == o.per_condition &&
         centroids == o.centroids && condition_scale == o.condition_scale && mean == o.mean && stddev == o.stddev &&
         r_max == o.r_max && window == o.window;
}

}  // namespace amnl::data
