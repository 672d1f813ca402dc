// Metrics and the AMNL loss against values computed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "worker/loss.h"
#include "worker/metrics.h"

namespace amnl::worker {
namespace {

TEST(Metrics, RmseAndMae) {
  EXPECT_DOUBLE_EQ(rmse({1, 2, 3}, {1, 2, 3}), 0.0);
  EXPECT_DOUBLE_EQ(rmse({0, 0}, {3, 4}), std::sqrt(12.5));
  EXPECT_DOUBLE_EQ(mae({0, 10}, {3, 4}), 4.5);
}

TEST(Metrics, NasaScorePenalisesLatePredictionsMore) {
  // d = -10: exp(10/13) - 1; d = 0: 0; d = +10: e - 1.
  EXPECT_NEAR(nasa_score({10, 20, 30}, {20, 20, 20}), std::exp(10.0 / 13.0) - 1 + std::exp(1.0) - 1, 1e-12);
  EXPECT_NEAR(nasa_score({30}, {20}), 1.718281828459045, 1e-12);
  EXPECT_NEAR(nasa_score({10}, {20}), 1.1581055339484458, 1e-12);
  EXPECT_GT(nasa_score({25}, {20}), nasa_score({15}, {20}));
}

TEST(Metrics, AccuracyAndMacroF1) {
  const std::vector<int64_t> truth{0, 0, 1, 1, 2, 2}, pred{0, 1, 1, 1, 2, 0};
  EXPECT_DOUBLE_EQ(accuracy(pred, truth), 4.0 / 6.0);
  // Per class F1 = 2tp / (2tp + fp + fn): class 0: 2/4, class 1: 4/5, class 2: 2/3.
  EXPECT_NEAR(macro_f1(pred, truth, 3), (0.5 + 0.8 + 2.0 / 3.0) / 3.0, 1e-12);
  // Classes absent from both truth and predictions do not count (as scikit-learn).
  EXPECT_DOUBLE_EQ(macro_f1({0, 0}, {0, 0}, 3), 1.0);
  // A class only predicted counts, with F1 0.
  EXPECT_DOUBLE_EQ(macro_f1({0, 2}, {0, 0}, 3), (2.0 / 3.0 + 0.0) / 2.0);
}

TEST(AmnlLoss, MatchesHandComputedValues) {
  // RUL on the RUL/R_max scale: y = 0 (failure, weight 2) and y = 1 (R_max, weight 1).
  const auto pred = torch::tensor({0.5, 1.0});
  const auto truth = torch::tensor({0.0, 1.0});
  // Uniform logits: CE = ln 3; logits (0, 0, ln 2) with class 2: p = 1/2, CE = ln 2.
  const auto logits = torch::tensor({0.0, 0.0, 0.0, 0.0, 0.0, std::log(2.0)}).view({2, 3});
  const auto cls = torch::tensor({0, 2}, torch::kInt64);
  const auto l = amnl_loss(pred, truth, logits, cls, 0.5, 0.5);
  EXPECT_NEAR(l.rul.item<double>(), (2 * 0.25 + 1 * 0.0) / 2, 1e-7);
  EXPECT_NEAR(l.health.item<double>(), (std::log(3.0) + std::log(2.0)) / 2, 1e-6);
  EXPECT_NEAR(l.total.item<double>(), 0.5 * 0.25 + 0.5 * std::log(6.0) / 2, 1e-6);
}

TEST(AmnlLoss, WeightIsOneAboveRmaxAndTwoAtFailure) {
  const auto logits = torch::zeros({1, 3});
  const auto cls = torch::tensor({0}, torch::kInt64);
  // y = 1.2 R_max: weight 1 + clip(-0.2, 0, 1) = 1; y = 0.5: weight 1.5.
  EXPECT_NEAR(amnl_loss(torch::tensor({1.0}), torch::tensor({1.2}), logits, cls, 1, 0).total.item<double>(), 0.04, 1e-6);
  EXPECT_NEAR(amnl_loss(torch::tensor({0.7}), torch::tensor({0.5}), logits, cls, 1, 0).total.item<double>(), 1.5 * 0.04, 1e-6);
  EXPECT_NEAR(amnl_loss(torch::tensor({0.2}), torch::tensor({0.0}), logits, cls, 1, 0).total.item<double>(), 2 * 0.04, 1e-6);
}

}  // namespace
}  // namespace amnl::worker
