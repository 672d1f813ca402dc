// The fixed parts of the C-MAPSS recipe: which columns are model inputs, option checks, and the
// health classes derived from RUL.
#include <cstdint>
#include <string>
#include <vector>

#include "common/cmapss/dataset.h"

namespace amnl::data {

const std::vector<std::string>& default_feature_names() {
  // s1, s5, s6, s10, s16, s18, s19 are constant or uninformative in C-MAPSS (amnl.md, "Data").
  static const std::vector<std::string> names = {"op1", "op2", "op3", "s2",  "s3",  "s4",  "s7",  "s8", "s9",
                                                 "s11", "s12", "s13", "s14", "s15", "s17", "s20", "s21"};
  return names;
}

namespace {

namespace field = option_field;

Status out_of_bounds(const char* key, const std::string& what) {
  return Status::InvalidArgument(std::string("data option ") + key + ": " + what);
}

template <typename T>
Status check(const IntField<T>& f, int64_t v) {
  const std::string wrong = f.range.violation(v);
  return wrong.empty() ? Status::Ok() : out_of_bounds(f.key, wrong + ", got " + std::to_string(v));
}
Status check(const NumberField& f, double v) {
  const std::string wrong = f.range.violation(v);
  return wrong.empty() ? Status::Ok() : out_of_bounds(f.key, wrong + ", got " + format_number(v));
}
template <size_t N>
Status check(const ChoiceField<N>& f, const std::string& v) {
  if (f.choices.contains(v)) return Status::Ok();
  return out_of_bounds(f.key, f.choices.requirement() + ", got \"" + v + "\"");
}

// The seed is unsigned here and a JSON integer in the recipe: both stop at INT64_MAX.
Status check_kmeans_seed(uint64_t seed) {
  if (seed <= static_cast<uint64_t>(INT64_MAX)) return Status::Ok();
  return out_of_bounds(field::kKmeansSeed.key,
                       field::kKmeansSeed.range.requirement(true) + ", got " + std::to_string(seed));
}

}  // namespace

Status check_options(const DataOptions& o) {
  AMNL_RETURN_IF_ERROR(check(field::kWindow, o.window));
  AMNL_RETURN_IF_ERROR(check(field::kRMax, o.r_max));
  AMNL_RETURN_IF_ERROR(check(field::kNormalAbove, o.normal_above));
  AMNL_RETURN_IF_ERROR(check(field::kCriticalAtOrBelow, o.critical_at_or_below));
  AMNL_RETURN_IF_ERROR(check(field::kValFraction, o.val_fraction));
  AMNL_RETURN_IF_ERROR(check(field::kNormalisation, o.normalisation));
  AMNL_RETURN_IF_ERROR(check(field::kConditions, o.conditions));
  AMNL_RETURN_IF_ERROR(check_kmeans_seed(o.kmeans_seed));
  AMNL_RETURN_IF_ERROR(check(field::kKmeansRestarts, o.kmeans_restarts));
  AMNL_RETURN_IF_ERROR(check(field::kValidation, o.validation));
  AMNL_RETURN_IF_ERROR(check(field::kValCutsPerUnit, o.val_cuts_per_unit));
  AMNL_RETURN_IF_ERROR(check(field::kValCutMinRul, o.val_cut_min_rul));
  AMNL_RETURN_IF_ERROR(check(field::kValCutMaxRul, o.val_cut_max_rul));
  const field::FieldProblem order = field::cross_field_problem(o);
  return order.key.empty() ? Status::Ok() : out_of_bounds(order.key.c_str(), order.what);
}

int64_t health_label(double rul, const DataOptions& options) {
  if (rul > options.normal_above) return 0;
  if (rul > options.critical_at_or_below) return 1;
  return 2;
}

}  // namespace amnl::data
