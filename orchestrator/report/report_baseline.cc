// The reference figures and the constant-predictor baseline of the report (report_collect.h).
#include <cmath>
#include <map>

#include "common/cmapss/dataset.h"
#include "common/safe_path.h"
#include "orchestrator/report/report_collect.h"

namespace amnl::orch {

std::optional<ReferenceFigure> published_reference(const std::string& dataset) {
  // ../shared/spec/amnl.md, "Published reference figures": 5 seeds, mean +- std of test RMSE.
  static const std::map<std::string, ReferenceFigure> kPublished = {
      {"FD001", {10.43, 1.94}}, {"FD002", {6.74, 0.91}}, {"FD003", {9.51, 1.74}}, {"FD004", {8.16, 2.17}}};
  auto it = kPublished.find(dataset);
  if (it == kPublished.end()) return std::nullopt;
  return it->second;
}

ConstantBaseline constant_baseline(const std::string& data_dir, const std::string& dataset, double r_max) {
  ConstantBaseline b;
  if (data_dir.empty()) {
    b.why_not = "no data_dir in experiment.json";
    return b;
  }
  if (auto ok = check_plain_name(dataset, "dataset name"); !ok) {
    b.why_not = ok.message();
    return b;
  }
  auto train = data::read_cmapss_table(data_dir + "/train_" + dataset + ".txt");
  if (!train) {
    b.why_not = train.message();
    return b;
  }
  auto test = data::read_cmapss_table(data_dir + "/test_" + dataset + ".txt");
  if (!test) {
    b.why_not = test.message();
    return b;
  }
  auto truth = data::read_rul_file(data_dir + "/RUL_" + dataset + ".txt", test->num_units());
  if (!truth) {
    b.why_not = truth.message();
    return b;
  }
  // The constant: the mean capped RUL over every training row (every cycle of every unit), the
  // best constant in squared error on the training distribution. A model must beat it clearly.
  double sum = 0;
  size_t rows = 0;
  for (const data::UnitRange& u : train->unit_ranges()) {
    const int last = train->cycle[u.end - 1];
    for (size_t r = u.begin; r < u.end; ++r) {
      sum += std::min(static_cast<double>(last - train->cycle[r]), r_max);
      ++rows;
    }
  }
  if (rows == 0 || truth->empty()) {
    b.why_not = "no training rows or no test units";
    return b;
  }
  b.predicted_rul = sum / static_cast<double>(rows);
  double squared = 0;
  for (double y : *truth) {
    const double d = b.predicted_rul - std::min(y, r_max);
    squared += d * d;
  }
  b.test_units = static_cast<int>(truth->size());
  b.test_rmse = std::sqrt(squared / static_cast<double>(truth->size()));
  b.available = true;
  return b;
}

}  // namespace amnl::orch
