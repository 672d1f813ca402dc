#include <gtest/gtest.h>

#include <iostream>

#include "common/recipe_config.h"
#include "worker/ema.h"
#include "worker/model.h"

namespace amnl::worker {
namespace {

TEST(DualTaskModel, DefaultSizeIsAboutThreePointFiveMillion) {
  DualTaskModel m(RecipeConfig().model, 17);
  const int64_t n = count_parameters(*m);
  std::cout << "DualTaskModel parameters at the paper defaults: " << n << "\n";
  // amnl.md: "about 3.5M parameters at the defaults". Hand count: CNN 53,184; BiLSTM 2,236,416;
  // attention 1,050,624; LayerNorm 1,024; funnel 149,856; RUL head 4,737; health head 1,635.
  EXPECT_EQ(n, 3497476);
}

TEST(DualTaskModel, ShapesAndNonNegativeRul) {
  RecipeConfig::Model c = RecipeConfig::preset("tiny")->model;
  torch::manual_seed(1);
  DualTaskModel m(c, 17);
  m->eval();
  const auto out = m->forward(torch::randn({5, 30, 17}));
  EXPECT_EQ(out.rul.sizes(), (std::vector<int64_t>{5}));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{5, 3}));
  EXPECT_GE(out.rul.min().item<float>(), 0.0f);
}

TEST(DualTaskModel, SizesFollowTheConfig) {
  RecipeConfig::Model c = RecipeConfig::preset("tiny")->model;
  DualTaskModel small(c, 17);
  c.lstm_hidden *= 2;
  DualTaskModel wider(c, 17);
  EXPECT_GT(count_parameters(*wider), count_parameters(*small));
  // classes sets the width of the health head's last layer (3 is the default, so use another value).
  c.classes = 4;
  c.health_head = {};
  DualTaskModel no_hidden(c, 17);
  EXPECT_EQ(no_hidden->forward(torch::randn({2, 30, 17})).logits.size(1), 4);
}

// Every preset builds a working model whose CNN front end has one Conv1d per entry of
// conv_channels: the quick preset uses a single conv layer, the paper three.
TEST(DualTaskModel, EveryPresetBuildsWithOneConvLayerPerChannelEntry) {
  for (const std::string& name : RecipeConfig::preset_names()) {
    const RecipeConfig::Model c = RecipeConfig::preset(name)->model;
    torch::manual_seed(1);
    DualTaskModel m(c, 17);
    size_t convs = 0;
    for (const auto& module : m->modules(/*include_self=*/false))
      if (module->as<torch::nn::Conv1d>() != nullptr) ++convs;
    EXPECT_EQ(convs, c.conv_channels.size()) << name;
    m->eval();
    const auto out = m->forward(torch::randn({3, 30, 17}));
    EXPECT_EQ(out.rul.sizes(), (std::vector<int64_t>{3})) << name;
    EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{3, 3})) << name;
  }
  EXPECT_EQ(RecipeConfig::preset("quick")->model.conv_channels.size(), 1u);
  EXPECT_EQ(RecipeConfig().model.conv_channels.size(), 3u);
}

// The dropout rates take effect in training mode only: with them on, two passes over the same input
// differ; with every rate 0, or in eval mode, they are identical.
TEST(DualTaskModel, DropoutSettingsActInTrainingModeOnly) {
  const auto two_passes_agree = [](const RecipeConfig::Model& c, bool training) {
    torch::manual_seed(5);
    DualTaskModel m(c, 17);
    m->train(training);
    const auto x = torch::randn({4, 30, 17});
    const auto a = m->forward(x);
    const auto b = m->forward(x);
    return torch::equal(a.rul, b.rul) && torch::equal(a.logits, b.logits);
  };
  RecipeConfig::Model c = RecipeConfig::preset("tiny")->model;
  c.conv_dropout = c.attention_dropout = c.funnel_dropout = 0.5;
  EXPECT_FALSE(two_passes_agree(c, /*training=*/true));
  EXPECT_TRUE(two_passes_agree(c, /*training=*/false));
  c.conv_dropout = c.lstm_dropout = c.attention_dropout = c.funnel_dropout = 0.0;
  EXPECT_TRUE(two_passes_agree(c, /*training=*/true));
}

TEST(Ema, AveragesAndSwapsBackExactly) {
  torch::manual_seed(2);
  DualTaskModel m(RecipeConfig::preset("tiny")->model, 17);
  auto live = state_tensors(*m);
  const auto before = clone_tensors([&] {
    std::vector<torch::Tensor> v;
    for (auto& [n, t] : live) v.push_back(t);
    return v;
  }());
  Ema ema(*m, 0.9);
  {
    torch::NoGradGuard g;
    for (auto& p : m->parameters()) p.add_(1.0);
  }
  ema.update();
  // Shadow = 0.9 * old + 0.1 * (old + 1) = old + 0.1 for parameters.
  EXPECT_TRUE(torch::allclose(ema.shadow()[0], before[0] + 0.1, 1e-5, 1e-6));
  const auto trained = live[0].second.clone();
  {
    Ema::Swap swap(ema);
    EXPECT_TRUE(torch::equal(live[0].second, ema.shadow()[0]));
  }
  EXPECT_TRUE(torch::equal(live[0].second, trained));
}

}  // namespace
}  // namespace amnl::worker
