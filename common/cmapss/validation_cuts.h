#pragma once
// A validation set shaped like the test set. NASA made the test units by cutting run-to-failure
// units at a random cycle and asking for the RUL after the last observed cycle; scoring every
// stride-1 window of the held-out units instead (30 % of them at the RUL cap on FD001, against
// 11 % of the test units) ranked recipe variants unlike the test did. So each held-out unit is
// cut the same way: several cut points whose true RUL spans the test set's range, and the last
// window before each cut is scored, RUL capped. Deterministic from the job's seed.
#include <cstdint>
#include <vector>

#include "common/cmapss/dataset.h"

namespace amnl::data {

// The true RULs (cycles after the cut) at which a unit of `length` cycles is cut: `count`
// stratified draws over [min_rul, min(max_rul, length - 1)] (each stratum gets one, so the
// range is covered evenly), distinct, descending. A unit too short for min_rul is cut anywhere in
// [0, length - 1]. Same seed and unit, same cuts, on every platform.
std::vector<int> cut_point_ruls(int length, int count, double min_rul, double max_rul, uint64_t seed, int unit);

// From the windows of the held-out units (every stride-1 window, as prepare_dataset builds them):
// the window ending at each unit's cut points, with its capped RUL and health label. Shares
// nothing with `all`: the features are copied (the held-out units are small).
WindowSet cut_point_windows(const WindowSet& all, const DataOptions& options);

}  // namespace amnl::data
