// Regression: the data options' bounds were written twice, in check_options and in the recipe's
// data section, and differently: a recipe could refuse what the pipeline accepts and the other
// way round (window 20000, r_max below normal_above, a negative critical threshold, 5000 cuts
// or restarts, a val_cut_max_rul of 200000: all passed check_options and were refused by the
// recipe; val_fraction 0 under "test" selection the other way). Now both read one table
// (common/cmapss/data_option_fields.h).
#include <gtest/gtest.h>

#include <functional>

#include "common/cmapss/dataset.h"
#include "common/recipe_config.h"

namespace amnl {
namespace {

using nlohmann::json;

struct Case {
  const char* name;
  json data;                                      // the recipe's data section
  std::function<void(data::DataOptions&)> apply;  // the same values on DataOptions
  const char* blamed_key;                         // "" when both must accept
};

std::vector<Case> cases() {
  return {
      {"window above the cap", {{"window", 20000}}, [](auto& o) { o.window = 20000; }, "window"},
      {"normal_above above r_max", {{"r_max", 100}, {"normal_above", 110}},
       [](auto& o) {
         o.r_max = 100;
         o.normal_above = 110;
       }, "normal_above"},
      {"negative critical threshold", {{"critical_at_or_below", -1}}, [](auto& o) { o.critical_at_or_below = -1; },
       "critical_at_or_below"},
      {"5000 cuts per unit", {{"val_cuts_per_unit", 5000}}, [](auto& o) { o.val_cuts_per_unit = 5000; },
       "val_cuts_per_unit"},
      {"5000 k-means restarts", {{"kmeans_restarts", 5000}}, [](auto& o) { o.kmeans_restarts = 5000; },
       "kmeans_restarts"},
      {"cut RUL above the cap", {{"val_cut_max_rul", 200000}}, [](auto& o) { o.val_cut_max_rul = 200000; },
       "val_cut_max_rul"},
      {"65 conditions", {{"conditions", 65}}, [](auto& o) { o.conditions = 65; }, "conditions"},
      {"nothing held out under test selection", {{"val_fraction", 0}, {"selection", "test"}},
       [](auto& o) { o.val_fraction = 0; }, ""},
      {"the largest window", {{"window", 10000}}, [](auto& o) { o.window = 10000; }, ""},
  };
}

TEST(DataOptionBounds, TheRecipeAndCheckOptionsAcceptAndRefuseTheSameValues) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    data::DataOptions options;
    c.apply(options);
    const Status checked = data::check_options(options);
    const auto recipe = RecipeConfig::from_json(json{{"data", c.data}});
    const std::string key = c.blamed_key;
    if (key.empty()) {
      EXPECT_TRUE(checked.ok()) << checked.message();
      ASSERT_TRUE(recipe.ok()) << recipe.message();
      EXPECT_TRUE(data::check_options(recipe->data_options(1)).ok());
      continue;
    }
    EXPECT_FALSE(checked.ok()) << "check_options accepted it";
    EXPECT_FALSE(recipe.ok()) << "the recipe accepted it";
    EXPECT_EQ(checked.message().rfind("data option " + key + ": must be", 0), 0u) << checked.message();
    EXPECT_EQ(recipe.message().rfind("recipe.data." + key + ": must be", 0), 0u) << recipe.message();
    // The same words after the key, since the same range wrote them.
    EXPECT_EQ(checked.message().substr(checked.message().find(": ")),
              recipe.message().substr(recipe.message().find(": ")));
    EXPECT_TRUE(checked.IsInvalidArgument());
    EXPECT_TRUE(recipe.status().IsInvalidArgument());
  }
}

TEST(DataOptionBounds, HeldOutSelectionStillNeedsUnitsHeldOut) {
  const auto recipe = RecipeConfig::from_json(json{{"data", {{"val_fraction", 0}}}});
  ASSERT_FALSE(recipe.ok());
  EXPECT_EQ(recipe.message(), "recipe.data.val_fraction: must be > 0 when data.selection is \"validation\", got 0");
}

TEST(DataOptionBounds, TheRecipeAndDataOptionsHaveTheSameDefaults) {
  const data::DataOptions from_recipe = RecipeConfig().data_options(0);
  const data::DataOptions plain;
  EXPECT_EQ(from_recipe.window, plain.window);
  EXPECT_EQ(from_recipe.r_max, plain.r_max);
  EXPECT_EQ(from_recipe.normal_above, plain.normal_above);
  EXPECT_EQ(from_recipe.critical_at_or_below, plain.critical_at_or_below);
  EXPECT_EQ(from_recipe.val_fraction, plain.val_fraction);
  EXPECT_EQ(from_recipe.normalisation, plain.normalisation);
  EXPECT_EQ(from_recipe.conditions, plain.conditions);
  EXPECT_EQ(from_recipe.kmeans_seed, plain.kmeans_seed);
  EXPECT_EQ(from_recipe.kmeans_restarts, plain.kmeans_restarts);
  EXPECT_EQ(from_recipe.validation, plain.validation);
  EXPECT_EQ(from_recipe.val_cuts_per_unit, plain.val_cuts_per_unit);
  EXPECT_EQ(from_recipe.val_cut_min_rul, plain.val_cut_min_rul);
  EXPECT_EQ(from_recipe.val_cut_max_rul, plain.val_cut_max_rul);
  // The published values (amnl.md), as both had them before.
  EXPECT_EQ(plain.window, 30);
  EXPECT_EQ(plain.r_max, 125.0);
  EXPECT_EQ(plain.val_cut_max_rul, 145.0);
  EXPECT_EQ(plain.kmeans_seed, 12345u);
}

}  // namespace
}  // namespace amnl
