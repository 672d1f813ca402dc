// Windows, labels, the validation split and the whole preparation of one dataset. Every window
// of a set is (end_row, first_row) into ONE normalised (rows x features) array: 30 copies of
// each series would cost 30x the memory for nothing.
#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>

#include "common/cmapss/dataset.h"
#include "common/cmapss/random.h"
#include "common/cmapss/validation_cuts.h"
#include "common/safe_path.h"

namespace amnl::data {
namespace {

WindowSet empty_set(const ScalerParams& scaler) {
  WindowSet ws;
  ws.window = scaler.window;
  ws.num_features = static_cast<int>(scaler.features.size());
  return ws;
}

void add_window(WindowSet& ws, int64_t end_row, int64_t first_row, double rul, int unit, const DataOptions& labels) {
  ws.end_row.push_back(end_row);
  ws.first_row.push_back(first_row);
  ws.rul.push_back(static_cast<float>(rul));
  ws.health.push_back(health_label(rul, labels));
  ws.unit.push_back(unit);
}

// Appends the rows of `units` to ws.features and a window ending at every row from the unit's
// window-th cycle on (a unit shorter than the window gets just its last, padded window). Target:
// RUL = last cycle - cycle, capped at r_max. `conditions` receives each row's condition.
void add_run_to_failure_units(WindowSet& ws, const CmapssTable& table, const std::vector<UnitRange>& units,
                              const ScalerParams& scaler, const DataOptions& labels, std::vector<int>& conditions) {
  for (const UnitRange& u : units) {
    const int64_t first_row = static_cast<int64_t>(ws.rows());
    normalise_rows(table, u.begin, u.end, scaler, ws.features, &conditions);
    const int last_cycle = table.cycle[u.end - 1];
    const size_t first_end = std::min(u.begin + static_cast<size_t>(ws.window) - 1, u.end - 1);
    for (size_t r = first_end; r < u.end; ++r) {
      const double rul = std::min(static_cast<double>(last_cycle - table.cycle[r]), scaler.r_max);
      add_window(ws, first_row + static_cast<int64_t>(r - u.begin), first_row, rul, u.unit, labels);
    }
  }
}

std::vector<UnitRange> select_units(const std::vector<UnitRange>& all, const std::vector<int>& ids) {
  std::vector<UnitRange> out;
  size_t i = 0;  // `ids` is in the order of `all`
  for (const UnitRange& u : all)
    if (i < ids.size() && u.unit == ids[i]) {
      out.push_back(u);
      ++i;
    }
  return out;
}

}  // namespace

std::pair<std::vector<int>, std::vector<int>> split_units(const std::vector<int>& units, double val_fraction,
                                                          uint64_t seed) {
  const size_t n = units.size();
  size_t n_val = static_cast<size_t>(std::llround(std::max(val_fraction, 0.0) * static_cast<double>(n)));
  if (val_fraction > 0 && n >= 2) n_val = std::max<size_t>(n_val, 1);
  n_val = std::min(n_val, n > 0 ? n - 1 : 0);  // keep at least one training unit
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  DeterministicRng rng(seed);
  rng.shuffle(order);
  std::vector<bool> is_val(n, false);
  for (size_t i = 0; i < n_val; ++i) is_val[order[i]] = true;
  std::pair<std::vector<int>, std::vector<int>> split;
  for (size_t i = 0; i < n; ++i) (is_val[i] ? split.second : split.first).push_back(units[i]);
  return split;
}

Result<WindowSet> last_windows(const CmapssTable& table, const ScalerParams& scaler, const DataOptions& labels,
                               const std::vector<double>* true_rul) {
  const std::vector<UnitRange> units = table.unit_ranges();
  if (true_rul && true_rul->size() != units.size())
    return Result<WindowSet>::Error(table.path + ": " + std::to_string(units.size()) + " units but " +
                                    std::to_string(true_rul->size()) + " true RUL values");
  Status valid = scaler.validate();
  if (!valid.ok()) return valid.with_context(table.path);
  WindowSet ws = empty_set(scaler);
  normalise_rows(table, 0, table.rows(), scaler, ws.features, nullptr);
  for (size_t i = 0; i < units.size(); ++i) {
    // Deployment: the true RUL after the last cycle, capped like the training targets.
    const double rul = true_rul ? std::min((*true_rul)[i], scaler.r_max) : 0.0;
    add_window(ws, static_cast<int64_t>(units[i].end) - 1, static_cast<int64_t>(units[i].begin), rul, units[i].unit,
               labels);
    if (!true_rul) ws.health.back() = 0;
  }
  return ws;
}

Result<PreparedData> prepare_dataset(const std::string& data_dir, const std::string& dataset,
                                     const DataOptions& options) {
  AMNL_RETURN_IF_ERROR(check_plain_name(dataset, "dataset name"));
  AMNL_RETURN_IF_ERROR(check_options(options));
  const std::string dir = data_dir.empty() ? "." : data_dir;
  Result<CmapssTable> train = read_cmapss_table(dir + "/train_" + dataset + ".txt");
  if (!train.ok()) return train.status();
  Result<CmapssTable> test = read_cmapss_table(dir + "/test_" + dataset + ".txt");
  if (!test.ok()) return test.status();
  Result<std::vector<double>> rul = read_rul_file(dir + "/RUL_" + dataset + ".txt", test->num_units());
  if (!rul.ok()) return rul.status();

  PreparedData out;
  out.dataset = dataset;
  out.train_file_rows = train->rows();
  out.test_file_rows = test->rows();
  out.train_file_units = train->num_units();
  out.test_file_units = test->num_units();

  const std::vector<UnitRange> units = train->unit_ranges();
  std::vector<int> ids;
  for (const UnitRange& u : units) ids.push_back(u.unit);
  std::tie(out.train_units, out.val_units) = split_units(ids, options.val_fraction, options.split_seed);
  const std::vector<UnitRange> train_ranges = select_units(units, out.train_units);
  const std::vector<UnitRange> val_ranges = select_units(units, out.val_units);

  Result<ScalerParams> scaler = fit_scaler(*train, train_ranges, options, &out.settings_within_share);
  if (!scaler.ok()) return scaler.status();
  out.scaler = std::move(*scaler);

  std::vector<int> train_conditions, ignored;
  out.train = empty_set(out.scaler);
  out.val = empty_set(out.scaler);
  add_run_to_failure_units(out.train, *train, train_ranges, out.scaler, options, train_conditions);
  add_run_to_failure_units(out.val, *train, val_ranges, out.scaler, options, ignored);
  out.val_cuts = cut_point_windows(out.val, options);
  out.condition_rows.assign(static_cast<size_t>(out.scaler.num_conditions()), 0);
  for (int c : train_conditions) ++out.condition_rows[static_cast<size_t>(c)];

  Result<WindowSet> test_windows = last_windows(*test, out.scaler, options, &*rul);
  if (!test_windows.ok()) return test_windows.status();
  out.test = std::move(*test_windows);
  out.test_condition_rows.assign(static_cast<size_t>(out.scaler.num_conditions()), 0);
  for (size_t r = 0; r < test->rows(); ++r) ++out.test_condition_rows[out.scaler.condition_of(test->row_values(r))];
  return out;
}

}  // namespace amnl::data
