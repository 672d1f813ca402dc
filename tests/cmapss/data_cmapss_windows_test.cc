// Windows, labels, splits and normalisation on tiny hand-made tables whose answers are worked
// out by hand in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>

#include "common/cmapss/dataset.h"
#include "support/test_support.h"

namespace amnl::data {
namespace {

// One C-MAPSS row: settings (0, 0, 100), sensor sN = N * 10 + `level` (so every sensor varies).
std::string row(int unit, int cycle, double level) {
  std::ostringstream out;
  out << unit << ' ' << cycle << " 0.0000 0.0000 100.0";
  for (int s = 1; s <= 21; ++s) out << ' ' << s * 10 + level;
  out << "  \n";
  return out.str();
}

// Units with the given lengths; the level of a row is its cycle (a degradation proxy).
std::string table_text(const std::vector<int>& lengths, int first_unit = 1) {
  std::string text;
  for (size_t u = 0; u < lengths.size(); ++u)
    for (int c = 1; c <= lengths[u]; ++c) text += row(first_unit + static_cast<int>(u), c, c);
  return text;
}

DataOptions tiny_options() {
  DataOptions o;
  o.window = 4;
  o.r_max = 3;
  o.normal_above = 2;          // health 0 when RUL > 2
  o.critical_at_or_below = 1;  // health 2 when RUL <= 1
  o.val_fraction = 0;
  o.normalisation = "global";
  return o;
}

TEST(CmapssWindows, StrideOneWindowsCappedTargetsHealthAndPadding) {
  test::TempDir dir;
  test::write_file(dir / "train_T.txt", table_text({8, 3}));
  test::write_file(dir / "test_T.txt", table_text({5, 2}));
  test::write_file(dir / "RUL_T.txt", "10\n1\n");
  Result<PreparedData> p = prepare_dataset(dir.path(), "T", tiny_options());
  ASSERT_TRUE(p.ok()) << p.message();
  const WindowSet& w = p->train;
  // Unit 1 (8 cycles): windows end at cycles 4..8, RUL 4,3,2,1,0 capped at 3 -> 3,3,2,1,0.
  // Unit 2 (3 cycles, shorter than the window): one window ending at its last cycle, padded.
  ASSERT_EQ(w.size(), 6u);
  EXPECT_EQ(w.rows(), 11u);
  EXPECT_EQ(w.end_row, (std::vector<int64_t>{3, 4, 5, 6, 7, 10}));
  EXPECT_EQ(w.first_row, (std::vector<int64_t>{0, 0, 0, 0, 0, 8}));
  EXPECT_EQ(w.rul, (std::vector<float>{3, 3, 2, 1, 0, 0}));
  EXPECT_EQ(w.health, (std::vector<int64_t>{0, 0, 1, 2, 2, 2}));
  EXPECT_EQ(w.unit, (std::vector<int>{1, 1, 1, 1, 1, 2}));
  EXPECT_EQ(w.row_of(0, 0), 0);
  EXPECT_EQ(w.row_of(4, 0), 4);
  // Padded window: steps 0 and 1 repeat the unit's first row (8), then rows 8, 9, 10.
  EXPECT_EQ(w.row_of(5, 0), 8);
  EXPECT_EQ(w.row_of(5, 1), 8);
  EXPECT_EQ(w.row_of(5, 2), 9);
  EXPECT_EQ(w.row_of(5, 3), 10);
  // Test: one last window per unit, true RUL from the RUL file capped (10 -> 3, 1 -> 1).
  ASSERT_EQ(p->test.size(), 2u);
  EXPECT_EQ(p->test.end_row, (std::vector<int64_t>{4, 6}));
  EXPECT_EQ(p->test.first_row, (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(p->test.rul, (std::vector<float>{3, 1}));
  EXPECT_EQ(p->test.health, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(p->test.row_of(1, 0), 5);
  EXPECT_EQ(p->test.row_of(1, 3), 6);
}

TEST(CmapssWindows, GlobalNormalisationIsFittedOnTrainingUnitsOnly) {
  test::TempDir dir;
  const std::string path = dir / "train_T.txt";
  test::write_file(path, table_text({3, 2}));
  Result<CmapssTable> t = read_cmapss_table(path);
  ASSERT_TRUE(t.ok()) << t.message();
  const std::vector<UnitRange> units = t->unit_ranges();
  ASSERT_EQ(units.size(), 2u);
  // Fit on unit 1 only: sensor s2 = 20 + cycle -> 21, 22, 23: mean 22, population std sqrt(2/3).
  Result<ScalerParams> s = fit_scaler(*t, {units[0]}, tiny_options());
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(s->features[3], "s2");
  EXPECT_EQ(s->feature_columns[3], 4);
  EXPECT_DOUBLE_EQ(s->mean[0][3], 22.0);
  EXPECT_DOUBLE_EQ(s->stddev[0][3], std::sqrt(2.0 / 3.0));
  // Constant columns (op1 = 0, op3 = 100) get std 1 instead of dividing by zero.
  EXPECT_EQ(s->stddev[0][0], 1.0);
  EXPECT_EQ(s->stddev[0][2], 1.0);
  std::vector<float> out;
  normalise_rows(*t, 3, 5, *s, out, nullptr);  // unit 2, cycle 1: s2 = 21 -> -1/sqrt(2/3)
  ASSERT_EQ(out.size(), 2 * 17u);
  EXPECT_FLOAT_EQ(out[3], static_cast<float>(-1.0 / std::sqrt(2.0 / 3.0)));
  EXPECT_FLOAT_EQ(out[2], 0.0f);
}

TEST(CmapssWindows, SplitUnitsIsDeterministicDisjointAndKeepsOrder) {
  std::vector<int> units;
  for (int u = 1; u <= 100; ++u) units.push_back(u);
  const auto a = split_units(units, 0.2, 42);
  EXPECT_EQ(a.first.size(), 80u);
  EXPECT_EQ(a.second.size(), 20u);
  EXPECT_TRUE(std::is_sorted(a.first.begin(), a.first.end()));
  EXPECT_TRUE(std::is_sorted(a.second.begin(), a.second.end()));
  std::set<int> all(a.first.begin(), a.first.end());
  all.insert(a.second.begin(), a.second.end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(split_units(units, 0.2, 42), a);
  EXPECT_NE(split_units(units, 0.2, 43).second, a.second);
  // Not just the first or last units.
  EXPECT_NE(a.second, std::vector<int>(units.begin(), units.begin() + 20));
  EXPECT_NE(a.second, std::vector<int>(units.end() - 20, units.end()));
  // Small sets: one held out when any fraction is asked, never all, none when asked for none.
  EXPECT_EQ(split_units({5, 6}, 0.01, 1).second.size(), 1u);
  EXPECT_EQ(split_units({5}, 0.5, 1).second.size(), 0u);
  EXPECT_EQ(split_units({5, 6, 7}, 0.0, 1).second.size(), 0u);
  EXPECT_EQ(split_units({5, 6, 7}, 0.99, 1).first.size(), 1u);
}

TEST(CmapssWindows, HealthLabelThresholds) {
  DataOptions o;  // 80 / 30
  EXPECT_EQ(health_label(125, o), 0);
  EXPECT_EQ(health_label(80.5, o), 0);
  EXPECT_EQ(health_label(80, o), 1);
  EXPECT_EQ(health_label(30.5, o), 1);
  EXPECT_EQ(health_label(30, o), 2);
  EXPECT_EQ(health_label(0, o), 2);
}

TEST(CmapssWindows, LastWindowsForDeploymentUseTheScalerAlone) {
  test::TempDir dir;
  const std::string path = dir / "units.txt";
  test::write_file(path, table_text({6, 2}));
  Result<CmapssTable> t = read_cmapss_table(path);
  ASSERT_TRUE(t.ok());
  Result<ScalerParams> s = fit_scaler(*t, t->unit_ranges(), tiny_options());
  ASSERT_TRUE(s.ok());
  Result<WindowSet> unlabeled = last_windows(*t, *s, tiny_options(), nullptr);
  ASSERT_TRUE(unlabeled.ok()) << unlabeled.message();
  EXPECT_EQ(unlabeled->end_row, (std::vector<int64_t>{5, 7}));
  EXPECT_EQ(unlabeled->rul, (std::vector<float>{0, 0}));
  EXPECT_EQ(unlabeled->health, (std::vector<int64_t>{0, 0}));
  const std::vector<double> one_value = {4.0};
  Result<WindowSet> mismatch = last_windows(*t, *s, tiny_options(), &one_value);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.message().find("units.txt"), std::string::npos) << mismatch.message();
}

TEST(CmapssWindows, LastWindowsRefuseAnInconsistentScaler) {
  test::TempDir dir;
  const std::string path = dir / "units.txt";
  test::write_file(path, table_text({6, 2}));
  Result<CmapssTable> t = read_cmapss_table(path);
  ASSERT_TRUE(t.ok());
  Result<ScalerParams> fitted = fit_scaler(*t, t->unit_ranges(), tiny_options());
  ASSERT_TRUE(fitted.ok());
  ASSERT_TRUE(fitted->validate().ok()) << fitted->validate().message();
  ScalerParams s = *fitted;
  s.per_condition = true;  // two conditions but only the one global row of statistics
  s.centroids = {{0, 0, 100}, {10, 0.25, 100}};
  Result<WindowSet> w = last_windows(*t, s, tiny_options(), nullptr);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.message().find("units.txt"), std::string::npos) << w.message();
  EXPECT_NE(w.message().find("mean and stddev"), std::string::npos) << w.message();
  s = *fitted;
  s.feature_columns[0] = 99;
  EXPECT_FALSE(last_windows(*t, s, tiny_options(), nullptr).ok());
  s = *fitted;
  s.stddev[0][4] = 0;
  EXPECT_FALSE(s.validate().ok());
}

TEST(CmapssWindows, RejectsOptionsOutOfRange) {
  auto with = [](auto change) {
    DataOptions o;
    change(o);
    return check_options(o);
  };
  EXPECT_TRUE(check_options(DataOptions{}).ok());
  EXPECT_NE(with([](DataOptions& o) { o.window = 0; }).message().find("window"), std::string::npos);
  EXPECT_NE(with([](DataOptions& o) { o.val_fraction = 1.0; }).message().find("val_fraction"), std::string::npos);
  EXPECT_NE(with([](DataOptions& o) { o.normalisation = "minmax"; }).message().find("normalisation"), std::string::npos);
  EXPECT_NE(with([](DataOptions& o) { o.critical_at_or_below = 90; }).message().find("critical_at_or_below"),
            std::string::npos);
  EXPECT_NE(with([](DataOptions& o) { o.r_max = 0; }).message().find("r_max"), std::string::npos);
}

}  // namespace
}  // namespace amnl::data
