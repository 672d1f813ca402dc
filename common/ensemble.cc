#include "common/ensemble.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/cmapss/random.h"

namespace amnl {
namespace {

double rmse_of(const std::vector<double>& pred, const std::vector<double>& truth) {
  if (pred.empty() || pred.size() != truth.size()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (size_t i = 0; i < pred.size(); ++i) s += (pred[i] - truth[i]) * (pred[i] - truth[i]);
  return std::sqrt(s / static_cast<double>(pred.size()));
}

// The ensemble RMSE of the models in `members`.
double subset_rmse(const std::vector<std::vector<double>>& p, const std::vector<int>& members,
                   const std::vector<double>& truth) {
  std::vector<double> mean(truth.size(), 0.0);
  for (int m : members)
    for (size_t u = 0; u < truth.size(); ++u) mean[u] += p[static_cast<size_t>(m)][u];
  for (double& v : mean) v /= static_cast<double>(members.size());
  return rmse_of(mean, truth);
}

double choose(int n, int k) {
  double c = 1;
  for (int i = 1; i <= k; ++i) c = c * (n - k + i) / i;
  return c;
}

// Calls f on every k-subset of 0..n-1 (lexicographic).
template <typename F>
void for_each_subset(int n, int k, F f) {
  std::vector<int> idx(static_cast<size_t>(k));
  std::iota(idx.begin(), idx.end(), 0);
  for (;;) {
    f(idx);
    int i = k - 1;
    while (i >= 0 && idx[static_cast<size_t>(i)] == n - k + i) --i;
    if (i < 0) return;
    ++idx[static_cast<size_t>(i)];
    for (int j = i + 1; j < k; ++j) idx[static_cast<size_t>(j)] = idx[static_cast<size_t>(j - 1)] + 1;
  }
}

}  // namespace

double nasa_score_of(const std::vector<double>& pred, const std::vector<double>& truth) {
  double s = 0;
  for (size_t i = 0; i < pred.size() && i < truth.size(); ++i) {
    const double d = pred[i] - truth[i];
    s += d < 0 ? std::exp(-d / 13.0) - 1.0 : std::exp(d / 10.0) - 1.0;
  }
  return s;
}

EnsembleScores ensemble_scores(const std::vector<std::vector<double>>& p, const std::vector<double>& truth) {
  EnsembleScores e;
  const size_t units = p.empty() ? 0 : p[0].size();
  const double n = static_cast<double>(p.size());
  e.mean.assign(units, 0.0);
  e.spread.assign(units, 0.0);
  for (size_t u = 0; u < units; ++u) {
    for (const auto& model : p) e.mean[u] += model[u];
    e.mean[u] /= n;
    double ss = 0;
    for (const auto& model : p) ss += (model[u] - e.mean[u]) * (model[u] - e.mean[u]);
    e.spread[u] = p.size() > 1 ? std::sqrt(ss / (n - 1)) : 0.0;
  }
  e.mean_spread = units ? std::accumulate(e.spread.begin(), e.spread.end(), 0.0) / static_cast<double>(units) : 0.0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  e.rmse = e.mae = e.nasa_score = nan;
  if (truth.size() == units && units > 0) {
    e.rmse = rmse_of(e.mean, truth);
    double a = 0;
    for (size_t u = 0; u < units; ++u) a += std::fabs(e.mean[u] - truth[u]);
    e.mae = a / static_cast<double>(units);
    e.nasa_score = nasa_score_of(e.mean, truth);
  }
  return e;
}

std::vector<EnsembleGain> ensemble_gain(const std::vector<std::vector<double>>& p, const std::vector<double>& truth,
                                        int64_t max_subsets) {
  const int n = static_cast<int>(p.size());
  std::vector<EnsembleGain> out;
  for (int k = 1; k <= n; ++k) {
    EnsembleGain g;
    g.k = k;
    g.min_rmse = std::numeric_limits<double>::infinity();
    g.max_rmse = -g.min_rmse;
    double sum = 0;
    auto add = [&](const std::vector<int>& members) {
      const double r = subset_rmse(p, members, truth);
      sum += r;
      g.min_rmse = std::min(g.min_rmse, r);
      g.max_rmse = std::max(g.max_rmse, r);
      ++g.subsets;
    };
    if (choose(n, k) <= static_cast<double>(max_subsets)) {
      for_each_subset(n, k, add);
    } else {
      // Too many subsets to enumerate: a fixed-seed sample (partial Fisher-Yates per draw).
      g.sampled = true;
      data::DeterministicRng rng(0x656e73656d626c65ULL + static_cast<uint64_t>(k));  // "ensemble"
      std::vector<int> all(static_cast<size_t>(n));
      for (int64_t s = 0; s < max_subsets; ++s) {
        std::iota(all.begin(), all.end(), 0);
        for (int i = 0; i < k; ++i)
          std::swap(all[static_cast<size_t>(i)], all[static_cast<size_t>(i) + rng.below(static_cast<uint64_t>(n - i))]);
        add(std::vector<int>(all.begin(), all.begin() + k));
      }
    }
    g.mean_rmse = sum / static_cast<double>(g.subsets);
    out.push_back(g);
  }
  return out;
}

}  // namespace amnl
