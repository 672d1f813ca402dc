// The ensemble arithmetic shared by the report and `amnl evaluate` (common/ensemble.h), on
// hand-made predictions whose answers are worked out in the comments.
#include <gtest/gtest.h>

#include <cmath>

#include "common/ensemble.h"

namespace amnl {
namespace {

TEST(Ensemble, IdenticalModelsAreOneModelWithNoSpread) {
  const std::vector<double> truth = {10, 50, 100};
  const std::vector<double> one = {12, 45, 110};
  const EnsembleScores single = ensemble_scores({one}, truth);
  const EnsembleScores three = ensemble_scores({one, one, one}, truth);
  EXPECT_EQ(three.mean, one);
  EXPECT_DOUBLE_EQ(three.rmse, single.rmse);
  EXPECT_DOUBLE_EQ(three.mae, single.mae);
  EXPECT_DOUBLE_EQ(three.nasa_score, single.nasa_score);
  for (double s : three.spread) EXPECT_EQ(s, 0.0);
  // (4 + 25 + 100) / 3
  EXPECT_DOUBLE_EQ(single.rmse, std::sqrt(129.0 / 3));
}

TEST(Ensemble, MeanSpreadAndScoresOfTwoModels) {
  const std::vector<double> truth = {20, 40};
  // Unit 1: 10 and 30 -> mean 20 (exact), std sqrt(200) ; unit 2: 50 and 50 -> 50, off by +10.
  const EnsembleScores e = ensemble_scores({{10, 50}, {30, 50}}, truth);
  EXPECT_DOUBLE_EQ(e.mean[0], 20);
  EXPECT_DOUBLE_EQ(e.mean[1], 50);
  EXPECT_DOUBLE_EQ(e.spread[0], std::sqrt(200.0));
  EXPECT_DOUBLE_EQ(e.spread[1], 0);
  EXPECT_DOUBLE_EQ(e.mean_spread, std::sqrt(200.0) / 2);
  EXPECT_DOUBLE_EQ(e.rmse, std::sqrt(100.0 / 2));
  EXPECT_DOUBLE_EQ(e.mae, 5);
  EXPECT_DOUBLE_EQ(e.nasa_score, std::exp(1.0) - 1);  // late by 10: exp(10/10) - 1
  // Each model alone is worse than the two together: 10 and sqrt((100+100)/2) vs sqrt(50).
  EXPECT_LT(e.rmse, ensemble_scores({{10, 50}}, truth).rmse);
}

TEST(Ensemble, WithoutTruthThereAreNoScores) {
  const EnsembleScores e = ensemble_scores({{1, 2}, {3, 4}}, {});
  EXPECT_TRUE(std::isnan(e.rmse));
  EXPECT_DOUBLE_EQ(e.mean[1], 3);
}

TEST(Ensemble, GainIsTheMeanOverSubsetsOfEachSize) {
  const std::vector<double> truth = {0, 0};
  const std::vector<std::vector<double>> p = {{2, 0}, {0, 2}, {-2, 0}};
  const auto g = ensemble_gain(p, truth);
  ASSERT_EQ(g.size(), 3u);
  // k = 1: each model has RMSE sqrt(4/2) = sqrt(2).
  EXPECT_EQ(g[0].subsets, 3);
  EXPECT_DOUBLE_EQ(g[0].mean_rmse, std::sqrt(2.0));
  // k = 2: {0,1} -> (1, 1): 1; {0,2} -> (0, 0): 0; {1,2} -> (-1, 1): 1. Mean 2/3, min 0, max 1.
  EXPECT_EQ(g[1].subsets, 3);
  EXPECT_DOUBLE_EQ(g[1].mean_rmse, 2.0 / 3);
  EXPECT_DOUBLE_EQ(g[1].min_rmse, 0);
  EXPECT_DOUBLE_EQ(g[1].max_rmse, 1);
  // k = n is the ensemble of all: mean (0, 2/3) -> sqrt((4/9)/2).
  EXPECT_EQ(g[2].subsets, 1);
  EXPECT_DOUBLE_EQ(g[2].mean_rmse, ensemble_scores(p, truth).rmse);
  EXPECT_FALSE(g[1].sampled);
}

TEST(Ensemble, TooManySubsetsAreSampledDeterministically) {
  std::vector<std::vector<double>> p;
  for (int m = 0; m < 12; ++m) p.push_back({static_cast<double>(m), static_cast<double>(-m)});
  const auto a = ensemble_gain(p, {0, 0}, 100);  // C(12, 6) = 924 > 100
  const auto b = ensemble_gain(p, {0, 0}, 100);
  EXPECT_TRUE(a[5].sampled);
  EXPECT_EQ(a[5].subsets, 100);
  EXPECT_DOUBLE_EQ(a[5].mean_rmse, b[5].mean_rmse);
  EXPECT_FALSE(a[0].sampled);  // C(12, 1) = 12: every subset
  EXPECT_EQ(a[0].subsets, 12);
}

}  // namespace
}  // namespace amnl
