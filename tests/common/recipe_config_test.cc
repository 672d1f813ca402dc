#include <gtest/gtest.h>

#include "common/recipe_config.h"

namespace amnl {
namespace {

using nlohmann::json;

TEST(RecipeConfig, DefaultsAreThePublishedRecipe) {
  auto r = RecipeConfig::from_json(json::object());
  ASSERT_TRUE(r.ok()) << r.message();
  const RecipeConfig& c = *r;
  EXPECT_EQ(c.data.window, 30);
  EXPECT_EQ(c.data.r_max, 125.0);
  EXPECT_EQ(c.data.normal_above, 80.0);
  EXPECT_EQ(c.data.critical_at_or_below, 30.0);
  EXPECT_EQ(c.data.val_fraction, 0.2);
  EXPECT_EQ(c.data.selection, "validation");
  EXPECT_EQ(c.model.conv_channels, (std::vector<int>{64, 128, 64}));
  EXPECT_EQ(c.model.conv_dropout, 0.15);
  EXPECT_EQ(c.model.lstm_hidden, 256);
  EXPECT_EQ(c.model.lstm_layers, 2);
  EXPECT_EQ(c.model.lstm_dropout, 0.3);
  EXPECT_EQ(c.model.attention_heads, 8);
  EXPECT_EQ(c.model.attention_dropout, 0.1);
  EXPECT_EQ(c.model.funnel, (std::vector<int>{256, 64, 32}));
  EXPECT_EQ(c.model.rul_head, (std::vector<int>{64, 32, 16}));
  EXPECT_EQ(c.model.health_head, (std::vector<int>{32, 16}));
  EXPECT_EQ(c.loss.rul_weight, 0.5);
  EXPECT_EQ(c.loss.health_weight, 0.5);
  EXPECT_EQ(c.optimizer.lr, 1e-3);
  EXPECT_EQ(c.optimizer.weight_decay, 1e-4);
  EXPECT_EQ(c.optimizer.beta1, 0.9);
  EXPECT_EQ(c.optimizer.beta2, 0.999);
  EXPECT_EQ(c.optimizer.batch_size, 256);
  EXPECT_EQ(c.schedule.warmup_epochs, 10);
  EXPECT_EQ(c.schedule.warmup_start_factor, 0.1);
  EXPECT_EQ(c.schedule.plateau_factor, 0.5);
  EXPECT_EQ(c.schedule.plateau_patience, 30);
  EXPECT_EQ(c.schedule.min_lr, 5e-6);
  EXPECT_EQ(c.grad_clip, 1.0);
  EXPECT_EQ(c.ema_decay, 0.999);
  EXPECT_EQ(c.max_epochs, 500);
  EXPECT_EQ(c.early_stop_patience, 80);
  EXPECT_EQ(c.checkpoint.every_epochs, 50);
}

TEST(RecipeConfig, PartialJsonOverridesOnlyWhatItNames) {
  auto r = RecipeConfig::from_json(json::parse(R"({"model": {"lstm_hidden": 32, "attention_heads": 4},
                                                   "max_epochs": 7, "checkpoint": {"keep_last": 5}})"));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->model.lstm_hidden, 32);
  EXPECT_EQ(r->model.attention_heads, 4);
  EXPECT_EQ(r->model.lstm_layers, 2);
  EXPECT_EQ(r->max_epochs, 7);
  EXPECT_EQ(r->checkpoint.keep_last, 5);
  EXPECT_EQ(r->checkpoint.every_epochs, 50);
  EXPECT_EQ(r->optimizer.lr, 1e-3);
}

TEST(RecipeConfig, ToJsonRoundTripsExactly) {
  for (const auto& name : RecipeConfig::preset_names()) {
    auto p = RecipeConfig::preset(name);
    ASSERT_TRUE(p.ok()) << p.message();
    const json j = p->to_json();
    auto back = RecipeConfig::from_json(json::parse(j.dump()));
    ASSERT_TRUE(back.ok()) << name << ": " << back.message();
    EXPECT_EQ(back->to_json(), j) << name;
  }
}

void expect_error(const std::string& text, const std::string& expected_in_message) {
  auto r = RecipeConfig::from_json(json::parse(text), "exp.recipe");
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_NE(r.message().find(expected_in_message), std::string::npos)
      << "message: " << r.message() << "\nexpected to contain: " << expected_in_message;
}

TEST(RecipeConfig, RejectsOutOfRangeWithFullKeyPath) {
  expect_error(R"({"model": {"lstm_hidden": 0}})", "exp.recipe.model.lstm_hidden: must be >= 1, got 0");
  expect_error(R"({"optimizer": {"lr": -1}})", "exp.recipe.optimizer.lr: must be > 0");
  expect_error(R"({"ema_decay": 1.0})", "exp.recipe.ema_decay: must be < 1");
  expect_error(R"({"data": {"val_fraction": 0}})", "exp.recipe.data.val_fraction");
  expect_error(R"({"model": {"conv_channels": [8, 0]}})", "exp.recipe.model.conv_channels[1]");
  expect_error(R"({"model": {"funnel": []}})", "exp.recipe.model.funnel: must have 1..16 entries");
  expect_error(R"({"max_epochs": 18446744073709551615})", "exp.recipe.max_epochs: must be <=");
}

TEST(RecipeConfig, RejectsWrongTypes) {
  expect_error(R"({"model": {"lstm_hidden": "big"}})", "exp.recipe.model.lstm_hidden: must be an integer");
  expect_error(R"({"model": {"lstm_hidden": 2.5}})", "exp.recipe.model.lstm_hidden: must be an integer");
  expect_error(R"({"optimizer": {"lr": "0.1"}})", "exp.recipe.optimizer.lr: must be a number");
  expect_error(R"({"model": 3})", "exp.recipe.model: must be an object");
  expect_error(R"({"data": {"selection": "best"}})", "exp.recipe.data.selection: must be one of");
  auto r = RecipeConfig::from_json(json::array(), "recipe");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("recipe: must be an object"), std::string::npos) << r.message();
}

TEST(RecipeConfig, RejectsUnknownKeys) {
  expect_error(R"({"modle": {}})", "exp.recipe.modle: unknown key");
  expect_error(R"({"model": {"lstm_hiden": 4}})", "exp.recipe.model.lstm_hiden: unknown key");
}

TEST(RecipeConfig, CrossFieldChecks) {
  expect_error(R"({"model": {"lstm_hidden": 5, "attention_heads": 4}})", "exp.recipe.model.attention_heads: must divide");
  expect_error(R"({"data": {"normal_above": 20}})", "exp.recipe.data.critical_at_or_below: must be <");
  expect_error(R"({"schedule": {"min_lr": 0.1}})", "exp.recipe.schedule.min_lr");
}

TEST(RecipeConfig, PresetsDifferAndUnknownPresetIsAnError) {
  auto paper = RecipeConfig::preset("paper");
  auto quick = RecipeConfig::preset("quick");
  auto tiny = RecipeConfig::preset("tiny");
  ASSERT_TRUE(paper.ok() && quick.ok() && tiny.ok());
  EXPECT_EQ(paper->to_json(), RecipeConfig().to_json());
  EXPECT_LT(quick->model.lstm_hidden, paper->model.lstm_hidden);
  EXPECT_LE(tiny->model.lstm_hidden, 16);
  EXPECT_LE(tiny->max_epochs, 10);
  EXPECT_LT(tiny->checkpoint.every_epochs, tiny->max_epochs);
  auto bad = RecipeConfig::preset("huge");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("huge"), std::string::npos);
}

TEST(RecipeConfig, DataOptionsCarryTheSeedAndLabels) {
  auto c = RecipeConfig::from_json(json::parse(R"({"data": {"window": 20, "normal_above": 90}})"));
  ASSERT_TRUE(c.ok()) << c.message();
  const auto o = c->data_options(77);
  EXPECT_EQ(o.split_seed, 77u);
  EXPECT_EQ(o.window, 20);
  EXPECT_EQ(o.normal_above, 90.0);
  EXPECT_EQ(o.critical_at_or_below, 30.0);
}

TEST(RecipeConfig, FirstDifferenceNamesTheKey) {
  RecipeConfig a, b;
  EXPECT_FALSE(first_json_difference(a.identity_json(), b.identity_json(), "recipe").has_value());
  b.model.lstm_hidden = 128;
  EXPECT_EQ(first_json_difference(a.identity_json(), b.identity_json(), "recipe"), "recipe.model.lstm_hidden");
  b = a;
  b.model.funnel = {256, 64};
  EXPECT_EQ(first_json_difference(a.identity_json(), b.identity_json(), "recipe"), "recipe.model.funnel");
  // The checkpoint policy is not part of the identity: changing it does not refuse a resume.
  b = a;
  b.checkpoint.keep_last = 9;
  EXPECT_FALSE(first_json_difference(a.identity_json(), b.identity_json(), "recipe").has_value());
}

}  // namespace
}  // namespace amnl
