// The fixed parts of the C-MAPSS recipe: which columns are model inputs, option checks, and the
// health classes derived from RUL.
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

Status check_options(const DataOptions& o) {
  auto bad = [](const std::string& what) { return Status::Error("data option " + what); };
  if (o.window < 1) return bad("window must be at least 1, got " + std::to_string(o.window));
  if (!(o.r_max > 0)) return bad("r_max must be positive, got " + std::to_string(o.r_max));
  if (!(o.critical_at_or_below < o.normal_above))
    return bad("critical_at_or_below (" + std::to_string(o.critical_at_or_below) + ") must be below normal_above (" +
               std::to_string(o.normal_above) + ")");
  if (!(o.val_fraction >= 0 && o.val_fraction < 1))
    return bad("val_fraction must be in [0, 1), got " + std::to_string(o.val_fraction));
  if (o.normalisation != "auto" && o.normalisation != "global" && o.normalisation != "per_condition")
    return bad("normalisation must be auto, global or per_condition, got '" + o.normalisation + "'");
  if (o.conditions < 1 || o.conditions > 64)
    return bad("conditions must be in 1..64, got " + std::to_string(o.conditions));
  if (o.validation != "last_window" && o.validation != "all_windows")
    return bad("validation must be last_window or all_windows, got '" + o.validation + "'");
  if (o.val_cuts_per_unit < 1) return bad("val_cuts_per_unit must be at least 1, got " + std::to_string(o.val_cuts_per_unit));
  if (!(o.val_cut_min_rul >= 0 && o.val_cut_min_rul < o.val_cut_max_rul))
    return bad("val_cut_min_rul (" + std::to_string(o.val_cut_min_rul) + ") must be >= 0 and below val_cut_max_rul (" +
               std::to_string(o.val_cut_max_rul) + ")");
  if (o.kmeans_restarts < 1) return bad("kmeans_restarts must be at least 1, got " + std::to_string(o.kmeans_restarts));
  return Status::Ok();
}

int64_t health_label(double rul, const DataOptions& options) {
  if (rul > options.normal_above) return 0;
  if (rul > options.critical_at_or_below) return 1;
  return 2;
}

}  // namespace amnl::data
