// The pipeline on the real NASA files (skipped when ../shared/cmapss is absent). Expected counts
// are the published ones (../shared/cmapss/README.md), not outputs of this code.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "common/cmapss/dataset.h"
#include "support/test_support.h"

namespace amnl::data {
namespace {

#define REQUIRE_CMAPSS(dir)                                                              \
  const std::string dir = amnl::test::cmapss_dir();                                      \
  if (dir.empty()) GTEST_SKIP() << "real C-MAPSS data not found (set AMNL_CMAPSS_DIR)"

TEST(CmapssRealData, RowAndUnitCountsOfAllFourSets) {
  REQUIRE_CMAPSS(dir);
  struct Expected { const char* name; size_t train_rows; int train_units; size_t test_rows; int test_units; };
  for (const Expected& e : {Expected{"FD001", 20631, 100, 13096, 100}, Expected{"FD002", 53759, 260, 33991, 259},
                            Expected{"FD003", 24720, 100, 16596, 100}, Expected{"FD004", 61249, 249, 41214, 248}}) {
    Result<CmapssTable> train = read_cmapss_table(dir + "/train_" + e.name + ".txt");
    Result<CmapssTable> test = read_cmapss_table(dir + "/test_" + e.name + ".txt");
    ASSERT_TRUE(train.ok()) << train.message();
    ASSERT_TRUE(test.ok()) << test.message();
    EXPECT_EQ(train->rows(), e.train_rows) << e.name;
    EXPECT_EQ(train->num_units(), e.train_units) << e.name;
    EXPECT_EQ(test->rows(), e.test_rows) << e.name;
    EXPECT_EQ(test->num_units(), e.test_units) << e.name;
    EXPECT_EQ(train->values.size(), e.train_rows * kValueColumns);
    Result<std::vector<double>> rul = read_rul_file(dir + "/RUL_" + e.name + ".txt", e.test_units);
    ASSERT_TRUE(rul.ok()) << rul.message();
    EXPECT_EQ(rul->size(), static_cast<size_t>(e.test_units));
  }
}

TEST(CmapssRealData, ParsesFirstRowOfFd001Exactly) {
  REQUIRE_CMAPSS(dir);
  // train_FD001.txt line 1: "1 1 -0.0007 -0.0004 100.0 518.67 641.82 ... 39.06 23.4190"
  Result<CmapssTable> t = read_cmapss_table(dir + "/train_FD001.txt");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->unit[0], 1);
  EXPECT_EQ(t->cycle[0], 1);
  EXPECT_EQ(t->values[0], -0.0007f);
  EXPECT_EQ(t->values[2], 100.0f);
  EXPECT_EQ(t->values[3], 518.67f);
  EXPECT_EQ(t->values[kValueColumns - 1], 23.4190f);
}

TEST(CmapssRealData, Fd001HasPublishedStrideOneWindowCount) {
  REQUIRE_CMAPSS(dir);
  DataOptions options;
  options.val_fraction = 0;
  Result<PreparedData> p = prepare_dataset(dir, "FD001", options);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->train.size(), 17731u);  // 20631 rows - 100 units x 29
  EXPECT_EQ(p->val.size(), 0u);
  EXPECT_EQ(p->test.size(), 100u);
  EXPECT_EQ(p->train.rows(), 20631u);  // one row per cycle, not one copy per window
  EXPECT_FALSE(p->scaler.per_condition) << "FD001 has one operating condition";
  EXPECT_EQ(p->scaler.features.size(), 17u);
  // The first window of unit 1 ends at its cycle 30; unit 1 has 192 cycles -> RUL 162, capped.
  EXPECT_EQ(p->train.end_row[0], 29);
  EXPECT_EQ(p->train.rul[0], 125.0f);
  EXPECT_EQ(p->train.health[0], 0);
}

TEST(CmapssRealData, ValidationHoldsOutWholeUnitsBySeed) {
  REQUIRE_CMAPSS(dir);
  DataOptions options;
  options.split_seed = 7;
  Result<PreparedData> a = prepare_dataset(dir, "FD001", options);
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_EQ(a->val_units.size(), 20u);
  EXPECT_EQ(a->train_units.size(), 80u);
  EXPECT_EQ(a->train.size() + a->val.size(), 17731u);
  std::set<int> train_units(a->train.unit.begin(), a->train.unit.end());
  for (int u : a->val.unit) EXPECT_EQ(train_units.count(u), 0u) << "unit " << u << " in both splits";
  Result<PreparedData> again = prepare_dataset(dir, "FD001", options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->val_units, a->val_units);
  EXPECT_EQ(again->scaler, a->scaler);
  options.split_seed = 8;
  Result<PreparedData> other = prepare_dataset(dir, "FD001", options);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->val_units, a->val_units);
}

TEST(CmapssRealData, Fd001And3UseGlobalAndFd002And4PerConditionNormalisation) {
  REQUIRE_CMAPSS(dir);
  for (const char* name : {"FD001", "FD002", "FD003", "FD004"}) {
    Result<PreparedData> p = prepare_dataset(dir, name, DataOptions{});
    ASSERT_TRUE(p.ok()) << p.message();
    const bool multi = std::string(name) == "FD002" || std::string(name) == "FD004";
    EXPECT_EQ(p->scaler.per_condition, multi) << name << " within share " << p->settings_within_share;
    EXPECT_EQ(p->scaler.num_conditions(), multi ? 6 : 1) << name;
  }
}

TEST(CmapssRealData, Fd002HasSixTightWellSeparatedConditions) {
  REQUIRE_CMAPSS(dir);
  DataOptions options;
  options.val_fraction = 0;
  Result<PreparedData> p = prepare_dataset(dir, "FD002", options);
  ASSERT_TRUE(p.ok()) << p.message();
  const ScalerParams& s = p->scaler;
  ASSERT_TRUE(s.per_condition);
  ASSERT_EQ(s.centroids.size(), 6u);
  Result<CmapssTable> t = read_cmapss_table(dir + "/train_FD002.txt");
  ASSERT_TRUE(t.ok());
  auto scaled_distance = [&](const double* a, const std::array<double, 3>& b) {
    double d = 0;
    for (int j = 0; j < 3; ++j) d += std::pow((a[j] - b[j]) / s.condition_scale[j], 2);
    return std::sqrt(d);
  };
  double max_within = 0;
  for (size_t r = 0; r < t->rows(); ++r) {
    const double row[3] = {t->row_values(r)[0], t->row_values(r)[1], t->row_values(r)[2]};
    max_within = std::max(max_within, scaled_distance(row, s.centroids[s.condition_of(t->row_values(r))]));
  }
  double min_between = 1e300;
  for (size_t a = 0; a < 6; ++a)
    for (size_t b = a + 1; b < 6; ++b) min_between = std::min(min_between, scaled_distance(s.centroids[a].data(), s.centroids[b]));
  // The farthest row lies within 5% of the closest centroid spacing: clusters are points.
  EXPECT_LT(max_within, 0.05 * min_between) << "within " << max_within << " between " << min_between;
  // Every condition is well populated (FD002 has ~8000-13500 rows at each operating point).
  int total = 0;
  for (int rows : p->condition_rows) {
    EXPECT_GT(rows, 5000);
    total += rows;
  }
  EXPECT_EQ(total, 53759);
  EXPECT_LT(p->settings_within_share, kAutoWithinShareThreshold);
}

// Per condition, every normalised sensor of the training rows has mean 0 and std 1; the three
// settings (z-scored globally by design) have mean 0 and std 1 over all training rows.
void expect_standard_per_condition(const std::string& dir, const std::string& name) {
  SCOPED_TRACE(name);
  DataOptions options;  // 20% validation held out: statistics come from the other 80% only
  options.split_seed = 3;
  Result<PreparedData> p = prepare_dataset(dir, name, options);
  ASSERT_TRUE(p.ok()) << p.message();
  ASSERT_TRUE(p->scaler.per_condition);
  Result<CmapssTable> t = read_cmapss_table(dir + "/train_" + name + ".txt");
  ASSERT_TRUE(t.ok());
  // Recover each training row's condition from the raw table, in the order rows were stored.
  std::set<int> train_units(p->train_units.begin(), p->train_units.end());
  std::vector<int> condition;
  for (size_t r = 0; r < t->rows(); ++r)
    if (train_units.count(t->unit[r])) condition.push_back(p->scaler.condition_of(t->row_values(r)));
  const WindowSet& w = p->train;
  ASSERT_EQ(condition.size(), w.rows());
  const size_t nf = static_cast<size_t>(w.num_features);
  auto stats = [&](size_t f, int c, double& mean, double& sd) {  // c < 0: all rows
    double sum = 0, ss = 0, n = 0;
    for (size_t r = 0; r < w.rows(); ++r)
      if (c < 0 || condition[r] == c) {
        sum += w.features[r * nf + f];
        n += 1;
      }
    mean = sum / n;
    for (size_t r = 0; r < w.rows(); ++r)
      if (c < 0 || condition[r] == c) ss += std::pow(w.features[r * nf + f] - mean, 2);
    sd = std::sqrt(ss / n);
  };
  double mean = 0, sd = 0;
  for (size_t f = 3; f < nf; ++f)
    for (int c = 0; c < 6; ++c) {
      stats(f, c, mean, sd);
      EXPECT_NEAR(mean, 0.0, 1e-3) << "condition " << c << " feature " << p->scaler.features[f];
      EXPECT_NEAR(sd, 1.0, 1e-3) << "condition " << c << " feature " << p->scaler.features[f];
    }
  for (size_t f = 0; f < 3; ++f) {
    stats(f, -1, mean, sd);
    EXPECT_NEAR(mean, 0.0, 1e-3) << p->scaler.features[f];
    EXPECT_NEAR(sd, 1.0, 1e-3) << p->scaler.features[f];
  }
}

TEST(CmapssRealData, PerConditionNormalisedTrainingFeaturesAreStandard) {
  REQUIRE_CMAPSS(dir);
  expect_standard_per_condition(dir, "FD002");
  expect_standard_per_condition(dir, "FD004");
}

TEST(CmapssRealData, TestWindowsAreLastWindowsAndPadShortUnits) {
  REQUIRE_CMAPSS(dir);
  for (const char* name : {"FD002", "FD004"}) {
    Result<PreparedData> p = prepare_dataset(dir, name, DataOptions{});
    ASSERT_TRUE(p.ok()) << p.message();
    Result<CmapssTable> t = read_cmapss_table(dir + "/test_" + std::string(name) + ".txt");
    Result<std::vector<double>> rul = read_rul_file(dir + "/RUL_" + std::string(name) + ".txt", t->num_units());
    ASSERT_TRUE(t.ok() && rul.ok());
    const WindowSet& w = p->test;
    ASSERT_EQ(w.size(), static_cast<size_t>(t->num_units()));
    const std::vector<UnitRange> units = t->unit_ranges();
    int padded = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      EXPECT_EQ(w.end_row[i], static_cast<int64_t>(units[i].end) - 1);
      EXPECT_EQ(w.unit[i], units[i].unit);
      EXPECT_EQ(w.rul[i], static_cast<float>(std::min((*rul)[i], 125.0)));
      if (units[i].length() >= 30) {
        EXPECT_EQ(w.row_of(i, 0), w.end_row[i] - 29);
        continue;
      }
      ++padded;
      const int64_t missing = 30 - static_cast<int64_t>(units[i].length());
      for (int k = 0; k < 30; ++k) {
        const int64_t expected = k < missing ? w.first_row[i] : w.first_row[i] + (k - missing);
        ASSERT_EQ(w.row_of(i, k), expected) << name << " unit " << w.unit[i] << " step " << k;
      }
      EXPECT_EQ(w.row_of(i, 29), w.end_row[i]);
    }
    EXPECT_GT(padded, 0) << name << " has test units shorter than 30 cycles";
  }
}

}  // namespace
}  // namespace amnl::data
