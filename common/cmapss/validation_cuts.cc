#include "common/cmapss/validation_cuts.h"

#include <algorithm>
#include <cmath>

#include "common/cmapss/random.h"

namespace amnl::data {
namespace {

// A stream per (seed, unit) that differs from the split's and the shuffler's (splitmix64 of a
// tagged seed), so that adding a unit or changing the split does not move another unit's cuts.
uint64_t cut_seed(uint64_t seed, int unit) {
  uint64_t z = seed ^ 0x637574706f696e74ULL;  // "cutpoint"
  z += 0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(unit) + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::vector<int> cut_point_ruls(int length, int count, double min_rul, double max_rul, uint64_t seed, int unit) {
  if (length < 1 || count < 1) return {};
  int lo = static_cast<int>(std::ceil(min_rul));
  int hi = std::min(static_cast<int>(std::floor(max_rul)), length - 1);  // at least one cycle observed
  if (hi < lo) lo = 0, hi = length - 1;
  DeterministicRng rng(cut_seed(seed, unit));
  const double span = static_cast<double>(hi - lo + 1);
  std::vector<int> ruls;
  for (int k = 0; k < count; ++k) {
    const double at = span * (k + rng.uniform()) / count;  // stratum k of count
    ruls.push_back(std::min(hi, lo + static_cast<int>(std::floor(at))));
  }
  std::sort(ruls.begin(), ruls.end(), std::greater<int>());
  ruls.erase(std::unique(ruls.begin(), ruls.end()), ruls.end());
  return ruls;
}

WindowSet cut_point_windows(const WindowSet& all, const DataOptions& options) {
  WindowSet cuts;
  cuts.window = all.window;
  cuts.num_features = all.num_features;
  cuts.features = all.features;
  const double r_max = options.r_max;
  for (size_t i = 0; i < all.size();) {
    // The windows of one unit are contiguous and share first_row; the last one ends at its last row.
    size_t j = i;
    while (j + 1 < all.size() && all.first_row[j + 1] == all.first_row[i]) ++j;
    const int64_t first = all.first_row[i];
    const int length = static_cast<int>(all.end_row[j] - first + 1);
    for (int rul : cut_point_ruls(length, options.val_cuts_per_unit, options.val_cut_min_rul,
                                  options.val_cut_max_rul, options.split_seed, all.unit[i])) {
      const double target = std::min(static_cast<double>(rul), r_max);
      cuts.end_row.push_back(first + (length - 1 - rul));  // a cut before the window-th cycle pads
      cuts.first_row.push_back(first);
      cuts.rul.push_back(static_cast<float>(target));
      cuts.health.push_back(health_label(target, options));
      cuts.unit.push_back(all.unit[i]);
    }
    i = j + 1;
  }
  return cuts;
}

}  // namespace amnl::data
