#include <gtest/gtest.h>

#include "worker/lr_schedule.h"

namespace amnl::worker {
namespace {

LrScheduleOptions options() {
  LrScheduleOptions o;
  o.base_lr = 1e-3;
  o.warmup_epochs = 10;
  o.warmup_start_factor = 0.1;
  o.factor = 0.5;
  o.patience = 2;
  o.min_lr = 3e-4;
  return o;
}

TEST(LrSchedule, WarmupRampsLinearlyToTheBaseRate) {
  LrSchedule s(options());
  EXPECT_DOUBLE_EQ(s.lr_for_epoch(0), 1e-4);
  EXPECT_DOUBLE_EQ(s.lr_for_epoch(5), 1e-3 * 0.55);
  EXPECT_DOUBLE_EQ(s.lr_for_epoch(9), 1e-3 * 0.91);
  EXPECT_DOUBLE_EQ(s.lr_for_epoch(10), 1e-3);
  EXPECT_DOUBLE_EQ(s.lr_for_epoch(400), 1e-3);
}

TEST(LrSchedule, PlateauIgnoresWarmupAndHalvesAfterPatience) {
  LrSchedule s(options());
  // Bad epochs during the warm-up are not counted.
  for (int e = 0; e < 10; ++e) EXPECT_FALSE(s.end_epoch(e, 100.0 - e));
  EXPECT_EQ(s.bad_epochs(), 0);
  EXPECT_FALSE(s.end_epoch(10, 10.0));  // first best
  EXPECT_FALSE(s.end_epoch(11, 10.0));  // bad 1
  EXPECT_FALSE(s.end_epoch(12, 10.0));  // bad 2 (= patience)
  EXPECT_TRUE(s.end_epoch(13, 10.0));   // bad 3 > patience: halve
  EXPECT_DOUBLE_EQ(s.lr_for_epoch(14), 5e-4);
  // An improvement resets the count.
  EXPECT_FALSE(s.end_epoch(14, 9.0));
  EXPECT_EQ(s.bad_epochs(), 0);
  for (int e = 15; e < 17; ++e) EXPECT_FALSE(s.end_epoch(e, 9.0));
  EXPECT_TRUE(s.end_epoch(17, 9.0));
  EXPECT_DOUBLE_EQ(s.lr_for_epoch(18), 3e-4);  // 2.5e-4 clamped to min_lr
  for (int e = 18; e < 21; ++e) EXPECT_FALSE(s.end_epoch(e, 9.0));  // at min_lr: no more reductions
  EXPECT_DOUBLE_EQ(s.lr_for_epoch(21), 3e-4);
  EXPECT_EQ(s.reductions(), 2);
}

TEST(LrSchedule, RelativeThresholdAsTorch) {
  LrSchedule s(options());
  s.end_epoch(10, 10.0);
  // 10 * (1 - 1e-4) = 9.999: 9.9995 is not an improvement.
  s.end_epoch(11, 9.9995);
  EXPECT_EQ(s.bad_epochs(), 1);
  EXPECT_DOUBLE_EQ(s.best(), 10.0);
}

TEST(LrSchedule, StateRoundTripsThroughJsonAndContinuesIdentically) {
  LrSchedule a(options());
  for (int e = 0; e < 13; ++e) a.end_epoch(e, e < 11 ? 10.0 - 0.1 * e : 20.0);
  LrSchedule b(options());
  ASSERT_TRUE(b.from_json(nlohmann::json::parse(a.to_json().dump())).ok());
  for (int e = 13; e < 30; ++e) {
    EXPECT_EQ(a.end_epoch(e, 20.0 - 0.01 * (e % 3)), b.end_epoch(e, 20.0 - 0.01 * (e % 3)));
    EXPECT_EQ(a.lr_for_epoch(e + 1), b.lr_for_epoch(e + 1));
  }
  EXPECT_EQ(a.to_json(), b.to_json());
  EXPECT_FALSE(b.from_json(nlohmann::json::parse(R"({"plateau_lr": 1})")).ok());
}

// The recipe's schedule reaches the schedule through one conversion: every key must arrive (a
// key added to the recipe's schedule section and not mapped fails the count below).
TEST(LrScheduleOptionsTest, EveryScheduleKeyOfTheRecipeArrives) {
  RecipeConfig c;
  c.optimizer.lr = 3e-3;
  c.schedule.warmup_epochs = 7;
  c.schedule.warmup_start_factor = 0.25;
  c.schedule.plateau_factor = 0.3;
  c.schedule.plateau_patience = 11;
  c.schedule.min_lr = 2e-6;
  const LrScheduleOptions o = lr_schedule_options(c);
  EXPECT_EQ(o.base_lr, 3e-3);
  EXPECT_EQ(o.warmup_epochs, 7);
  EXPECT_EQ(o.warmup_start_factor, 0.25);
  EXPECT_EQ(o.factor, 0.3);
  EXPECT_EQ(o.patience, 11);
  EXPECT_EQ(o.min_lr, 2e-6);
  EXPECT_EQ(c.to_json()["schedule"].size(), 5u);
}

}  // namespace
}  // namespace amnl::worker
