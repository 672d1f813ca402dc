// k-means (condition finding) and the scaler params' exact JSON round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/cmapss/dataset.h"
#include "common/cmapss/random.h"
#include "common/cmapss/kmeans.h"

namespace amnl::data {
namespace {

// Points around `centers` (dim 2), `per` each, jitter sd `sd`, in interleaved order.
std::vector<double> blobs(const std::vector<std::array<double, 2>>& centers, int per, double sd, uint64_t seed) {
  DeterministicRng rng(seed);
  std::vector<double> points;
  for (int i = 0; i < per; ++i)
    for (const auto& c : centers) {
      points.push_back(c[0] + rng.normal(0, sd));
      points.push_back(c[1] + rng.normal(0, sd));
    }
  return points;
}

TEST(Kmeans, FindsSeparatedClustersInCanonicalOrder) {
  const std::vector<std::array<double, 2>> centers = {{5, 5}, {0, 0}, {10, -3}};
  const std::vector<double> points = blobs(centers, 200, 0.1, 9);
  const KMeansResult r = kmeans(points, 2, 3, 1, 5);
  ASSERT_EQ(r.k, 3);
  // Sorted lexicographically: (0,0), (5,5), (10,-3).
  EXPECT_NEAR(r.centroids[0], 0, 0.05);
  EXPECT_NEAR(r.centroids[1], 0, 0.05);
  EXPECT_NEAR(r.centroids[2], 5, 0.05);
  EXPECT_NEAR(r.centroids[3], 5, 0.05);
  EXPECT_NEAR(r.centroids[4], 10, 0.05);
  EXPECT_NEAR(r.centroids[5], -3, 0.05);
  EXPECT_EQ(r.counts, (std::vector<int64_t>{200, 200, 200}));
  // Points were generated in the order (5,5), (0,0), (10,-3), repeating.
  const int expected[3] = {1, 0, 2};
  for (size_t i = 0; i < r.assignment.size(); ++i) EXPECT_EQ(r.assignment[i], expected[i % 3]) << i;
  EXPECT_LT(r.inertia, 600 * 2 * 0.1 * 0.1 * 1.5);
}

TEST(Kmeans, IsDeterministicForASeed) {
  const std::vector<double> noise = blobs({{0, 0}}, 500, 1.0, 4);  // no real clusters: many local optima
  const KMeansResult a = kmeans(noise, 2, 6, 77, 3);
  const KMeansResult b = kmeans(noise, 2, 6, 77, 3);
  EXPECT_EQ(a.centroids, b.centroids);
  EXPECT_EQ(a.assignment, b.assignment);
  EXPECT_EQ(a.inertia, b.inertia);
}

TEST(Kmeans, RestartsNeverDoWorseThanOne) {
  const std::vector<double> noise = blobs({{0, 0}, {3, 0}}, 300, 1.0, 5);
  EXPECT_LE(kmeans(noise, 2, 6, 11, 10).inertia, kmeans(noise, 2, 6, 11, 1).inertia);
}

TEST(Kmeans, HandlesFewerDistinctPointsThanClusters) {
  const std::vector<double> points = {1, 1, 1, 1, 2, 2, 2, 2};  // two distinct points, k = 6
  const KMeansResult r = kmeans(points, 2, 6, 3, 2);
  EXPECT_EQ(r.k, 6);
  EXPECT_EQ(r.inertia, 0.0);
  int64_t total = 0;
  for (int64_t c : r.counts) total += c;
  EXPECT_EQ(total, 4);
  EXPECT_NE(r.assignment[0], r.assignment[2]);
}

ScalerParams awkward_params() {
  ScalerParams p;
  p.features = {"op1", "op2", "op3", "s2"};
  p.feature_columns = {0, 1, 2, 4};
  p.per_condition = true;
  p.centroids = {{0.1, 1.0 / 3.0, 100.0}, {42.00299999999999, 0.84050000000001, 60.0}};
  p.condition_scale = {14.712345678901234, std::nextafter(0.31, 1.0), 14.2};
  p.mean = {{1e-300, -0.0, 2.0 / 3.0, 641.8212345678912}, {5e-324, 1e300, -7.0 / 9.0, 555.1}};
  p.stddev = {{1.0, 0.1 + 0.2, 1e-7, std::sqrt(2.0)}, {3.0, std::numeric_limits<double>::min(), 1.0, 0.4999999999999999}};
  p.r_max = 125.0;
  p.window = 30;
  return p;
}

TEST(ScalerParams, JsonRoundTripIsBitExact) {
  const ScalerParams p = awkward_params();
  // Through text, as in a checkpoint file.
  const std::string text = p.to_json().dump();
  Result<ScalerParams> back = ScalerParams::from_json(nlohmann::json::parse(text));
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_TRUE(*back == p);
  EXPECT_EQ(back->to_json().dump(), text);
  ScalerParams changed = p;
  changed.mean[1][3] = std::nextafter(changed.mean[1][3], 0.0);  // one ulp is a difference
  EXPECT_FALSE(changed == p);
}

TEST(ScalerParams, ConditionOfPicksTheNearestScaledCentroid) {
  ScalerParams p = awkward_params();
  const float near_second[kValueColumns] = {41.998f, 0.8402f, 60.0f};
  const float near_first[kValueColumns] = {0.002f, 0.3f, 100.0f};
  EXPECT_EQ(p.condition_of(near_second), 1);
  EXPECT_EQ(p.condition_of(near_first), 0);
  p.per_condition = false;
  p.centroids.clear();
  p.mean.resize(1);
  p.stddev.resize(1);
  EXPECT_EQ(p.condition_of(near_second), 0);
  Result<ScalerParams> back = ScalerParams::from_json(nlohmann::json::parse(p.to_json().dump()));
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(*back, p);
}

TEST(ScalerParams, FromJsonRejectsMalformedParamsWithTheKey) {
  const nlohmann::json good = awkward_params().to_json();
  auto error_after = [&](auto change) {
    nlohmann::json j = good;
    change(j);
    Result<ScalerParams> r = ScalerParams::from_json(j);
    return r.ok() ? std::string() : r.message();
  };
  auto expect_error = [](const std::string& message, const std::string& key) {
    ASSERT_FALSE(message.empty()) << "accepted malformed params (" << key << ")";
    EXPECT_NE(message.find(key), std::string::npos) << message;
  };
  expect_error(error_after([](nlohmann::json& j) { j.erase("mean"); }), "mean");
  expect_error(error_after([](nlohmann::json& j) { j["stddev"][0][1] = 0.0; }), "stddev[0][1]");
  expect_error(error_after([](nlohmann::json& j) { j["stddev"][1][0] = nullptr; }), "stddev[1][0]");
  expect_error(error_after([](nlohmann::json& j) { j["mean"][1] = {1, 2}; }), "mean[1]");
  expect_error(error_after([](nlohmann::json& j) { j["centroids"][0] = "x"; }), "centroids[0]");
  expect_error(error_after([](nlohmann::json& j) { j["feature_columns"][0] = 24; }), "feature_columns[0]");
  expect_error(error_after([](nlohmann::json& j) { j["per_condition"] = 1; }), "per_condition");
  expect_error(error_after([](nlohmann::json& j) { j["window"] = 0; }), "window");
  expect_error(error_after([](nlohmann::json& j) { j["format"] = "other"; }), "format");
  expect_error(error_after([](nlohmann::json& j) { j = nlohmann::json::array(); }), "object");
}

}  // namespace
}  // namespace amnl::data
