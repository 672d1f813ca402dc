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

// Issue 26: the validation kind is a recipe key, last_window by default, with bounded cut options.
TEST(RecipeConfig, ValidationKindDefaultsToLastWindowAndIsChecked) {
  for (const auto& name : RecipeConfig::preset_names()) {
    auto p = RecipeConfig::preset(name);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->data.validation, "last_window") << name;
  }
  auto all = RecipeConfig::resolve("quick", nlohmann::json::parse(R"({"data": {"validation": "all_windows"}})"));
  ASSERT_TRUE(all.ok()) << all.message();
  EXPECT_EQ(all->data.validation, "all_windows");
  expect_error(R"({"data": {"validation": "last"}})", "exp.recipe.data.validation: must be one of \"last_window\", \"all_windows\"");
  expect_error(R"({"data": {"val_cuts_per_unit": 0}})", "exp.recipe.data.val_cuts_per_unit: must be >= 1");
  expect_error(R"({"data": {"val_cut_max_rul": 0}})", "exp.recipe.data.val_cut_max_rul: must be > 0");
  expect_error(R"({"data": {"val_cut_min_rul": 150}})", "exp.recipe.data.val_cut_min_rul: must be < data.val_cut_max_rul");
}

TEST(RecipeConfig, PresetsDifferAndUnknownPresetIsAnError) {
  auto paper = RecipeConfig::preset("paper");
  auto quick = RecipeConfig::preset("quick");
  auto tiny = RecipeConfig::preset("tiny");
  ASSERT_TRUE(paper.ok() && quick.ok() && tiny.ok());
  EXPECT_EQ(paper->to_json(), RecipeConfig().to_json());
  EXPECT_LT(quick->model.lstm_hidden, paper->model.lstm_hidden);
  // The quick preset's RUL term is on cycles (ACCURACY-variants.md section 9); the others keep the
  // normalised default.
  EXPECT_EQ(quick->loss.rul_scale, "cycles");
  EXPECT_EQ(tiny->loss.rul_scale, "normalised");
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

// One resolution for `amnl train --config` and `amnl run`: a null override is refused naming its
// key, never turned into the paper default (merge-patch reads null as "delete").
TEST(RecipeConfig, ResolveRefusesANullOverrideNamingItsKey) {
  auto r = RecipeConfig::resolve("quick", json::parse(R"({"model": {"lstm_hidden": null}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "recipe.model.lstm_hidden: must not be null");
  r = RecipeConfig::resolve("quick", json::parse(R"({"ema_decay": null})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "recipe.ema_decay: must not be null");
  r = RecipeConfig::resolve("tiny", json::parse(R"({"model": {"funnel": [8, null]}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "recipe.model.funnel[1]: must not be null");
}

TEST(RecipeConfig, ResolveKeepsThePresetUnderTheOverrides) {
  auto quick = RecipeConfig::preset("quick");
  ASSERT_TRUE(quick.ok());
  auto r = RecipeConfig::resolve("quick", json::parse(R"({"optimizer": {"batch_size": 32}})"));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->optimizer.batch_size, 32);
  EXPECT_EQ(r->model.lstm_hidden, quick->model.lstm_hidden);  // the preset's, not the paper's 256
  EXPECT_EQ(r->optimizer.lr, quick->optimizer.lr);
  EXPECT_EQ(r->ema_decay, quick->ema_decay);
  // No overrides at all (null or empty object): the preset itself.
  auto none = RecipeConfig::resolve("quick", json());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->to_json(), quick->to_json());
  auto empty = RecipeConfig::resolve("quick", json::object());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->to_json(), quick->to_json());
}

TEST(RecipeConfig, ResolveNamesUnknownKeysWrongTypesAndPresets) {
  auto r = RecipeConfig::resolve("paper", json::parse(R"({"model": {"lstm_hiden": 8}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("recipe.model.lstm_hiden"), std::string::npos) << r.message();
  r = RecipeConfig::resolve("paper", json::parse(R"({"optimizer": {"lr": "fast"}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("recipe.optimizer.lr"), std::string::npos) << r.message();
  r = RecipeConfig::resolve("paper", json::parse("[1, 2]"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("recipe: must be an object"), std::string::npos) << r.message();
  r = RecipeConfig::resolve("huge", json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("huge"), std::string::npos) << r.message();
}

// The only conversion between the recipe's data section and the pipeline's options: every field
// set to a non-default value must arrive (a field added to one side and not mapped fails here).
TEST(RecipeConfig, DataOptionsCarryEveryDataField) {
  RecipeConfig c;
  c.data.window = 17;
  c.data.r_max = 130;
  c.data.normal_above = 70;
  c.data.critical_at_or_below = 20;
  c.data.val_fraction = 0.3;
  c.data.normalisation = "global";
  c.data.conditions = 4;
  c.data.kmeans_seed = 99;
  c.data.kmeans_restarts = 3;
  c.data.validation = "all_windows";
  c.data.val_cuts_per_unit = 5;
  c.data.val_cut_min_rul = 2;
  c.data.val_cut_max_rul = 150;
  const data::DataOptions o = c.data_options(5);
  EXPECT_EQ(o.window, 17);
  EXPECT_EQ(o.r_max, 130.0);
  EXPECT_EQ(o.normal_above, 70.0);
  EXPECT_EQ(o.critical_at_or_below, 20.0);
  EXPECT_EQ(o.val_fraction, 0.3);
  EXPECT_EQ(o.split_seed, 5u);
  EXPECT_EQ(o.normalisation, "global");
  EXPECT_EQ(o.conditions, 4);
  EXPECT_EQ(o.kmeans_seed, 99u);
  EXPECT_EQ(o.kmeans_restarts, 3);
  EXPECT_EQ(o.validation, "all_windows");
  EXPECT_EQ(o.val_cuts_per_unit, 5);
  EXPECT_EQ(o.val_cut_min_rul, 2.0);
  EXPECT_EQ(o.val_cut_max_rul, 150.0);
  c.data.selection = "test";  // the published protocol holds nothing out
  EXPECT_EQ(c.data_options(5).val_fraction, 0.0);
  // Every data key of the recipe is one of the fields above (plus selection): a new key fails.
  EXPECT_EQ(c.to_json()["data"].size(), 14u);
}

// One JSON difference helper for checkpoints (recipe identity) and run dirs (experiment
// identity): integers read back from a file are unsigned, and compare equal by value.
TEST(RecipeConfig, FirstDifferenceComparesNumbersByValue) {
  const json a = json::parse(R"({"seeds": [1, 2], "threads": 1, "lr": 0.001})");
  json b = a;
  b["seeds"][1] = 2u;
  b["threads"] = 1u;
  EXPECT_FALSE(first_json_difference(a, b, "").has_value());
  b["seeds"] = json::array({1});
  EXPECT_EQ(first_json_difference(a, b, ""), ".seeds");
  b = a;
  b["extra"] = 1;
  EXPECT_EQ(first_json_difference(a, b, ""), ".extra");
  b = a;
  b["lr"] = "0.001";
  EXPECT_EQ(first_json_difference(a, b, ""), ".lr");
}

}  // namespace
}  // namespace amnl
