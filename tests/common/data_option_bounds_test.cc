// Regression: the data options' bounds were written twice, in check_options and in the recipe's
// data section, and differently: a recipe could refuse what the pipeline accepts and the other
// way round (window 20000, r_max below normal_above, a negative critical threshold, 5000 cuts
// or restarts, a val_cut_max_rul of 200000: all passed check_options and were refused by the
// recipe; val_fraction 0 under "test" selection the other way). Now both read one table
// (common/cmapss/data_option_fields.h).
#include <gtest/gtest.h>

#include <functional>
#include <tuple>

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

// "must be <= 10000, got 20000" of "data option window: must be <= 10000, got 20000".
std::string after_key(const std::string& message) {
  const size_t colon = message.find(": ");
  return colon == std::string::npos ? message : message.substr(colon + 2);
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
    EXPECT_EQ(after_key(checked.message()), after_key(recipe.message()));
    EXPECT_TRUE(checked.IsInvalidArgument());
    EXPECT_TRUE(recipe.status().IsInvalidArgument());
  }
}

TEST(DataOptionBounds, HeldOutSelectionStillNeedsUnitsHeldOut) {
  const auto recipe = RecipeConfig::from_json(json{{"data", {{"val_fraction", 0}}}});
  ASSERT_FALSE(recipe.ok());
  EXPECT_EQ(recipe.message(), "recipe.data.val_fraction: must be > 0 when data.selection is \"validation\", got 0");
}

// Every option but the job's split seed.
auto option_values(const data::DataOptions& o) {
  return std::make_tuple(o.window, o.r_max, o.normal_above, o.critical_at_or_below, o.val_fraction, o.normalisation,
                         o.conditions, o.kmeans_seed, o.kmeans_restarts, o.validation, o.val_cuts_per_unit,
                         o.val_cut_min_rul, o.val_cut_max_rul);
}

TEST(DataOptionBounds, TheRecipeAndDataOptionsHaveTheSameDefaults) {
  const data::DataOptions plain;
  EXPECT_EQ(option_values(RecipeConfig().data_options(0)), option_values(plain));
  // The published values (amnl.md), as both had them before.
  EXPECT_EQ(option_values(plain), std::make_tuple(30, 125.0, 80.0, 30.0, 0.2, std::string("auto"), 6, uint64_t{12345},
                                                  10, std::string("last_window"), 8, 6.0, 145.0));
}

}  // namespace
}  // namespace amnl
