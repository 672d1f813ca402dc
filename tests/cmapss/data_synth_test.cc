// The synthetic generator: real-file layout, determinism, requested shape, a learnable signal.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "common/cmapss/dataset.h"
#include "common/cmapss/synth.h"
#include "support/test_support.h"

namespace amnl::data {
namespace {

SynthOptions small(int conditions, int fault_modes, uint64_t seed = 5) {
  SynthOptions o;
  o.dataset_name = "SYN";
  o.units = 24;
  o.test_units = 17;
  o.seed = seed;
  o.conditions = conditions;
  o.fault_modes = fault_modes;
  return o;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Digits after the decimal point of each whitespace-separated field (-1: no point).
std::vector<int> decimals_pattern(const std::string& line) {
  std::vector<int> pattern;
  std::istringstream in(line);
  for (std::string field; in >> field;) {
    const size_t dot = field.find('.');
    pattern.push_back(dot == std::string::npos ? -1 : static_cast<int>(field.size() - dot - 1));
  }
  return pattern;
}

TEST(Synth, WritesFilesThatParseBackWithTheRequestedShape) {
  test::TempDir dir;
  Result<SynthFiles> files = write_synthetic_dataset(dir / "out", small(1, 1));
  ASSERT_TRUE(files.ok()) << files.message();
  EXPECT_EQ(files->train_path, dir / "out/train_SYN.txt");
  Result<CmapssTable> train = read_cmapss_table(files->train_path);
  Result<CmapssTable> test = read_cmapss_table(files->test_path);
  ASSERT_TRUE(train.ok()) << train.message();
  ASSERT_TRUE(test.ok()) << test.message();
  EXPECT_EQ(train->num_units(), 24);
  EXPECT_EQ(test->num_units(), 17);
  EXPECT_EQ(train->rows(), files->train_rows);
  Result<std::vector<double>> rul = read_rul_file(files->rul_path, 17);
  ASSERT_TRUE(rul.ok()) << rul.message();
  EXPECT_EQ(lines_of(test::read_file(files->rul_path)).size(), 17u);
  for (const UnitRange& u : train->unit_ranges()) {
    EXPECT_GE(u.length(), 120u);
    EXPECT_LE(u.length(), 350u);
  }
  // Test units stop before failure: the RUL after the cut is positive, and the whole life
  // (cut + RUL) is a plausible lifetime.
  const std::vector<UnitRange> test_units = test->unit_ranges();
  for (size_t i = 0; i < test_units.size(); ++i) {
    EXPECT_GT((*rul)[i], 0);
    EXPECT_GE(test_units[i].length() + (*rul)[i], 120);
    EXPECT_LE(test_units[i].length() + (*rul)[i], 350);
  }
}

TEST(Synth, MatchesTheRealFileLayout) {
  for (int conditions : {1, 6}) {
    const SynthText text = synthesize(small(conditions, 2));
    const std::vector<std::string> lines = lines_of(text.train);
    ASSERT_FALSE(lines.empty());
    // Decimals per column as in NASA's train_FD001.txt line 1:
    // "1 1 -0.0007 -0.0004 100.0 518.67 ... 8.4195 0.03 392 2388 100.00 39.06 23.4190  "
    // (after the unit id: cycle, op1..op3, s1..s21)
    //  cycle  op1 op2 op3  s1 ......................................... s14  s15 s16 s17 s18 s19 s20 s21
    const std::vector<int> expected = {-1, 4, 4, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 4, 2, -1, -1, 2, 2, 4};
    for (size_t i = 0; i < lines.size(); i += 97) {
      ASSERT_GE(lines[i].size(), 2u);
      EXPECT_EQ(lines[i].substr(lines[i].size() - 2), "  ") << "row " << i << " must end with two spaces";
      EXPECT_NE(lines[i][lines[i].size() - 3], ' ');
      std::vector<int> pattern = decimals_pattern(lines[i]);
      ASSERT_EQ(pattern.size(), 26u) << lines[i];
      pattern.erase(pattern.begin());  // the unit id
      ASSERT_EQ(pattern, expected) << lines[i];
    }
    const std::string real = amnl::test::cmapss_dir();
    if (!real.empty()) {
      const std::string first = lines_of(test::read_file(real + "/train_FD001.txt"))[0];
      EXPECT_EQ(decimals_pattern(first), decimals_pattern(lines[0]));
      EXPECT_EQ(first.substr(first.size() - 2), "  ");
    }
  }
}

TEST(Synth, IsDeterministicForASeed) {
  test::TempDir a, b;
  ASSERT_TRUE(write_synthetic_dataset(a.path(), small(6, 2, 11)).ok());
  ASSERT_TRUE(write_synthetic_dataset(b.path(), small(6, 2, 11)).ok());
  for (const char* name : {"train_SYN.txt", "test_SYN.txt", "RUL_SYN.txt"}) {
    EXPECT_EQ(test::read_file(a / name), test::read_file(b / name)) << name;
    EXPECT_FALSE(test::read_file(a / name).empty());
  }
  const SynthText other = synthesize(small(6, 2, 12));
  EXPECT_NE(other.train, test::read_file(a / "train_SYN.txt"));
  EXPECT_NE(other.rul, test::read_file(a / "RUL_SYN.txt"));
}

TEST(Synth, SixConditionsAreFoundAndOneConditionIsNormalisedGlobally) {
  test::TempDir dir;
  ASSERT_TRUE(write_synthetic_dataset(dir.path(), small(6, 1)).ok());
  Result<PreparedData> six = prepare_dataset(dir.path(), "SYN", DataOptions{});
  ASSERT_TRUE(six.ok()) << six.message();
  ASSERT_TRUE(six->scaler.per_condition);
  ASSERT_EQ(six->scaler.centroids.size(), 6u);
  // FD002's operating points, sorted: (0, 0, 100) first and (42, 0.84, 100) last.
  EXPECT_NEAR(six->scaler.centroids[0][0], 0.0, 0.01);
  EXPECT_NEAR(six->scaler.centroids[3][2], 60.0, 0.01);
  EXPECT_NEAR(six->scaler.centroids[5][0], 42.0, 0.01);
  EXPECT_NEAR(six->scaler.centroids[5][1], 0.84, 0.001);
  for (int rows : six->condition_rows) EXPECT_GT(rows, 200);
  // The fitted scaler round-trips exactly through JSON text.
  Result<ScalerParams> back = ScalerParams::from_json(nlohmann::json::parse(six->scaler.to_json().dump()));
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(*back, six->scaler);

  test::TempDir one_dir;
  ASSERT_TRUE(write_synthetic_dataset(one_dir.path(), small(1, 1)).ok());
  Result<PreparedData> one = prepare_dataset(one_dir.path(), "SYN", DataOptions{});
  ASSERT_TRUE(one.ok()) << one.message();
  EXPECT_FALSE(one->scaler.per_condition);
  EXPECT_GT(one->settings_within_share, 100 * kAutoWithinShareThreshold);
}

// Mean of raw column `column` over rows [begin, begin + n) of a unit.
double mean_of(const CmapssTable& t, size_t begin, size_t n, int column) {
  double sum = 0;
  for (size_t r = begin; r < begin + n; ++r) sum += t.row_values(r)[column];
  return sum / static_cast<double>(n);
}

TEST(Synth, SensorsFollowTheHiddenDegradation) {
  for (int modes : {1, 2}) {
    const SynthOptions o = small(1, modes);
    test::TempDir dir;
    ASSERT_TRUE(write_synthetic_dataset(dir.path(), o).ok());
    Result<CmapssTable> t = read_cmapss_table(dir / "train_SYN.txt");
    ASSERT_TRUE(t.ok());
    int s9_up = 0, s9_down = 0;
    for (const UnitRange& u : t->unit_ranges()) {
      // s4 (column 6) rises by far more than its noise from new to failed, in every fault mode.
      const double early = mean_of(*t, u.begin, 20, 6), late = mean_of(*t, u.end - 10, 10, 6);
      EXPECT_GT(late - early, 15.0) << "unit " << u.unit;
      // s1 (column 3), dropped by the model, never moves.
      EXPECT_EQ(t->row_values(u.begin)[3], t->row_values(u.end - 1)[3]);
      // s9 (column 11) rises in fault mode 1 and falls in fault mode 2.
      (mean_of(*t, u.end - 10, 10, 11) > mean_of(*t, u.begin, 20, 11) ? s9_up : s9_down)++;
    }
    EXPECT_GT(s9_up, 0) << modes << " fault modes";
    if (modes == 1) {
      EXPECT_EQ(s9_down, 0);
    } else {
      EXPECT_GT(s9_down, 0) << "the second fault mode has its own sensor pattern";
    }
  }
}

TEST(Synth, RejectsBadOptions) {
  test::TempDir dir;
  auto error_of = [&](auto change) {
    SynthOptions o = small(1, 1);
    change(o);
    Result<SynthFiles> r = write_synthetic_dataset(dir.path(), o);
    return r.ok() ? std::string() : r.message();
  };
  EXPECT_NE(error_of([](SynthOptions& o) { o.units = 0; }).find("--units"), std::string::npos);
  EXPECT_NE(error_of([](SynthOptions& o) { o.conditions = 3; }).find("--conditions"), std::string::npos);
  EXPECT_NE(error_of([](SynthOptions& o) { o.fault_modes = 4; }).find("--fault-modes"), std::string::npos);
  EXPECT_NE(error_of([](SynthOptions& o) { o.dataset_name = "../x"; }).find("dataset name"), std::string::npos);
  EXPECT_NE(error_of([](SynthOptions& o) { o.test_units = 0; }).find("--test-units"), std::string::npos);
}

}  // namespace
}  // namespace amnl::data
