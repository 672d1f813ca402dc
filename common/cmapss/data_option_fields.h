#pragma once
// Each data option's key, default and bounds, written once. DataOptions (dataset.h) and the
// recipe's data section (common/recipe_config.h) take their defaults from here; check_options
// and the recipe reader their bounds, so that a value one accepts the other accepts too. The
// checks between fields (thresholds ordered below r_max, cut range ordered) are here as well.
// Header only: amnl_common's recipe reader uses it without linking the pipeline.
#include <cstdint>
#include <string>

#include "common/value_range.h"

namespace amnl::data::option_field {

inline constexpr IntField<int> kWindow{"window", 30, IntRange::at_least(1).at_most(10000)};
inline constexpr NumberField kRMax{"r_max", 125.0, NumberRange::above(0)};
// Health 0 when RUL > normal_above, 2 when RUL <= critical_at_or_below, 1 in between.
inline constexpr NumberField kNormalAbove{"normal_above", 80.0, NumberRange::above(0)};
inline constexpr NumberField kCriticalAtOrBelow{"critical_at_or_below", 30.0, NumberRange::at_least(0)};
// Of training units, held out by unit from the job's seed; 0 holds none out (the recipe's "test"
// selection), which the recipe refuses for its "validation" selection.
inline constexpr NumberField kValFraction{"val_fraction", 0.2, NumberRange::at_least(0).below(1)};
inline constexpr ChoiceField<3> kNormalisation{"normalisation", "auto", {{"auto", "global", "per_condition"}}};
inline constexpr IntField<int> kConditions{"conditions", 6, IntRange::between(1, 64)};  // k of the k-means
inline constexpr IntField<int64_t> kKmeansSeed{"kmeans_seed", 12345, IntRange::at_least(0)};
inline constexpr IntField<int> kKmeansRestarts{"kmeans_restarts", 10, IntRange::at_least(1).at_most(1000)};
inline constexpr ChoiceField<2> kValidation{"validation", "last_window", {{"last_window", "all_windows"}}};
inline constexpr IntField<int> kValCutsPerUnit{"val_cuts_per_unit", 8, IntRange::at_least(1).at_most(1000)};
// True RUL at a cut, cycles: the test sets' range starts at 6-7. The maximum, ~1.16 x the cap of
// 125: FD001/FD003's test units reach 145; above the cap the target is the cap, so it only sets
// the share of cuts at the cap (~14 %; the FD001 test set has 11 %).
inline constexpr NumberField kValCutMinRul{"val_cut_min_rul", 6, NumberRange::at_least(0).at_most(100000)};
inline constexpr NumberField kValCutMaxRul{"val_cut_max_rul", 145, NumberRange::above(0).at_most(100000)};

// The first of the checks between fields that `o` (DataOptions or RecipeConfig::Data) fails, as
// the key it blames and what is wrong ("must be < data.normal_above (80), got 90"); key empty
// when none fails.
struct FieldProblem {
  std::string key, what;
};
template <typename Options>
FieldProblem cross_field_problem(const Options& o) {
  if (!(o.critical_at_or_below < o.normal_above))
    return {kCriticalAtOrBelow.key, "must be < data.normal_above (" + format_number(o.normal_above) + "), got " +
                                        format_number(o.critical_at_or_below)};
  if (!(o.normal_above < o.r_max))
    return {kNormalAbove.key,
            "must be < data.r_max (" + format_number(o.r_max) + "), got " + format_number(o.normal_above)};
  if (!(o.val_cut_min_rul < o.val_cut_max_rul))
    return {kValCutMinRul.key, "must be < data.val_cut_max_rul (" + format_number(o.val_cut_max_rul) + "), got " +
                                   format_number(o.val_cut_min_rul)};
  return {};
}

}  // namespace amnl::data::option_field
