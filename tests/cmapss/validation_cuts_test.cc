// The validation set shaped like the test set (common/cmapss/validation_cuts.h): held-out units
// cut at several points whose true RUL spans the test range, scored on the last window before
// each cut. Hand-made units whose sensor level is the cycle number, so a window's last row says
// which cycle it ends at.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "common/cmapss/dataset.h"
#include "common/cmapss/validation_cuts.h"
#include "support/test_support.h"

namespace amnl::data {
namespace {

std::string row(int unit, int cycle) {
  std::ostringstream out;
  out << unit << ' ' << cycle << " 0.0000 0.0000 100.0";
  for (int s = 1; s <= 21; ++s) out << ' ' << s * 10 + cycle;
  out << "\n";
  return out.str();
}

std::string units_text(const std::vector<int>& lengths) {
  std::string text;
  for (size_t u = 0; u < lengths.size(); ++u)
    for (int c = 1; c <= lengths[u]; ++c) text += row(static_cast<int>(u) + 1, c);
  return text;
}

TEST(ValidationCuts, CutRulsAreStratifiedOverTheRangeDistinctAndSeeded) {
  const std::vector<int> a = cut_point_ruls(300, 8, 6, 145, 42, 7);
  ASSERT_EQ(a.size(), 8u);
  // One cut per stratum of [6, 145] (140 values, 17.5 each): the range is covered evenly.
  std::vector<int> sorted(a.rbegin(), a.rend());
  for (size_t k = 0; k < sorted.size(); ++k) {
    EXPECT_GE(sorted[k], 6 + static_cast<int>(17.5 * k)) << k;
    EXPECT_LT(sorted[k], 6 + static_cast<int>(17.5 * (k + 1)) + 1) << k;
  }
  EXPECT_TRUE(std::is_sorted(a.rbegin(), a.rend()));
  EXPECT_EQ(std::set<int>(a.begin(), a.end()).size(), a.size());
  EXPECT_EQ(cut_point_ruls(300, 8, 6, 145, 42, 7), a);  // deterministic
  EXPECT_NE(cut_point_ruls(300, 8, 6, 145, 43, 7), a);  // another seed, other cuts
  EXPECT_NE(cut_point_ruls(300, 8, 6, 145, 42, 8), a);  // another unit, other cuts
}

TEST(ValidationCuts, AShortUnitIsCutWithinItsLength) {
  // 60 cycles: at most 59 cycles of RUL (one cycle observed at least).
  for (int rul : cut_point_ruls(60, 8, 6, 145, 1, 1)) {
    EXPECT_GE(rul, 6);
    EXPECT_LE(rul, 59);
  }
  // Shorter than the minimum RUL: cut anywhere in [0, length - 1].
  for (int rul : cut_point_ruls(4, 3, 6, 145, 1, 1)) EXPECT_LE(rul, 3);
  EXPECT_FALSE(cut_point_ruls(4, 3, 6, 145, 1, 1).empty());
}

TEST(ValidationCuts, EachCutWindowEndsWhereItsTrueRulSaysAndIsCapped) {
  test::TempDir dir;
  test::write_file(dir / "train_T.txt", units_text({200, 150, 180, 40, 220}));
  test::write_file(dir / "test_T.txt", units_text({50}));
  test::write_file(dir / "RUL_T.txt", "10\n");
  DataOptions o;
  o.window = 30;
  o.r_max = 125;
  o.val_fraction = 0.4;  // 2 of 5 units held out
  o.normalisation = "global";
  o.split_seed = 3;
  Result<PreparedData> p = prepare_dataset(dir.path(), "T", o);
  ASSERT_TRUE(p.ok()) << p.message();
  const WindowSet& c = p->val_cuts;
  ASSERT_EQ(p->val_units.size(), 2u);
  ASSERT_GE(c.size(), 2u * 7u);  // 8 cuts per unit, distinct; a collision may cost one
  const std::vector<int> lengths = {200, 150, 180, 40, 220};
  bool some_below = false;
  for (size_t i = 0; i < c.size(); ++i) {
    const int length = lengths[static_cast<size_t>(c.unit[i] - 1)];
    EXPECT_NE(std::find(p->val_units.begin(), p->val_units.end(), c.unit[i]), p->val_units.end());
    // The window's last row is the cycle at the cut; the raw sensor level is that cycle.
    const int64_t cut_cycle = c.end_row[i] - c.first_row[i] + 1;
    const int true_rul = length - static_cast<int>(cut_cycle);
    EXPECT_GE(true_rul, 6);
    EXPECT_LE(true_rul, 145);
    EXPECT_FLOAT_EQ(c.rul[i], static_cast<float>(std::min(true_rul, 125)));
    EXPECT_EQ(c.health[i], health_label(c.rul[i], o));
    some_below |= c.rul[i] < 30.0f;
  }
  EXPECT_TRUE(some_below);
  // The all-windows set of the same units: far more windows, a larger share at the cap.
  EXPECT_GT(p->val.size(), c.size());
}

TEST(ValidationCuts, OptionsOutOfRangeAreRefused) {
  DataOptions o;
  o.validation = "every_window";
  // The recipe's wording for the same field (data_option_fields.h).
  EXPECT_EQ(check_options(o).message(),
            "data option validation: must be one of \"last_window\", \"all_windows\", got \"every_window\"");
  o = DataOptions{};
  o.val_cut_min_rul = 200;
  EXPECT_NE(check_options(o).message().find("val_cut_min_rul"), std::string::npos);
  o = DataOptions{};
  o.val_cuts_per_unit = 0;
  EXPECT_NE(check_options(o).message().find("val_cuts_per_unit"), std::string::npos);
}

}  // namespace
}  // namespace amnl::data
