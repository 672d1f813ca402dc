#include "worker/metrics.h"

#include <cassert>
#include <cmath>

namespace amnl::worker {

double rmse(const std::vector<double>& pred, const std::vector<double>& truth) {
  assert(pred.size() == truth.size());
  if (pred.empty()) return std::nan("");
  double s = 0;
  for (size_t i = 0; i < pred.size(); ++i) s += (pred[i] - truth[i]) * (pred[i] - truth[i]);
  return std::sqrt(s / static_cast<double>(pred.size()));
}

double mae(const std::vector<double>& pred, const std::vector<double>& truth) {
  assert(pred.size() == truth.size());
  if (pred.empty()) return std::nan("");
  double s = 0;
  for (size_t i = 0; i < pred.size(); ++i) s += std::fabs(pred[i] - truth[i]);
  return s / static_cast<double>(pred.size());
}

double nasa_score(const std::vector<double>& pred, const std::vector<double>& truth) {
  assert(pred.size() == truth.size());
  double s = 0;
  for (size_t i = 0; i < pred.size(); ++i) {
    const double d = pred[i] - truth[i];
    s += d < 0 ? std::exp(-d / 13.0) - 1.0 : std::exp(d / 10.0) - 1.0;
  }
  return s;
}

double accuracy(const std::vector<int64_t>& pred, const std::vector<int64_t>& truth) {
  assert(pred.size() == truth.size());
  if (pred.empty()) return 0.0;
  size_t hits = 0;
  for (size_t i = 0; i < pred.size(); ++i) hits += pred[i] == truth[i];
  return static_cast<double>(hits) / static_cast<double>(pred.size());
}

double macro_f1(const std::vector<int64_t>& pred, const std::vector<int64_t>& truth, int num_classes) {
  assert(pred.size() == truth.size());
  std::vector<int64_t> tp(num_classes, 0), fp(num_classes, 0), fn(num_classes, 0);
  std::vector<bool> present(num_classes, false);
  for (size_t i = 0; i < pred.size(); ++i) {
    const auto p = pred[i], t = truth[i];
    if (p >= 0 && p < num_classes) present[p] = true;
    if (t >= 0 && t < num_classes) present[t] = true;
    if (p == t) {
      if (p >= 0 && p < num_classes) ++tp[p];
    } else {
      if (p >= 0 && p < num_classes) ++fp[p];
      if (t >= 0 && t < num_classes) ++fn[t];
    }
  }
  double sum = 0;
  int n = 0;
  for (int c = 0; c < num_classes; ++c) {
    if (!present[c]) continue;
    ++n;
    const double denom = 2.0 * tp[c] + fp[c] + fn[c];
    sum += denom > 0 ? 2.0 * tp[c] / denom : 0.0;
  }
  return n ? sum / n : 0.0;
}

}  // namespace amnl::worker
