#include "common/cmapss/kmeans.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "common/cmapss/random.h"

namespace amnl::data {
namespace {

double squared_distance(const double* a, const double* b, int dim) {
  double d = 0;
  for (int j = 0; j < dim; ++j) d += (a[j] - b[j]) * (a[j] - b[j]);
  return d;
}

// k-means++: the first centroid uniformly, each next one with probability proportional to the
// squared distance to the nearest centroid chosen so far.
std::vector<double> seed_centroids(const std::vector<double>& points, size_t n, int dim, int k,
                                   DeterministicRng& rng) {
  std::vector<double> centroids;
  centroids.reserve(static_cast<size_t>(k) * dim);
  size_t first = static_cast<size_t>(rng.below(n));
  centroids.insert(centroids.end(), points.begin() + first * dim, points.begin() + (first + 1) * dim);
  std::vector<double> d2(n);
  for (size_t i = 0; i < n; ++i) d2[i] = squared_distance(&points[i * dim], centroids.data(), dim);
  for (int c = 1; c < k; ++c) {
    const double total = std::accumulate(d2.begin(), d2.end(), 0.0);
    size_t pick = 0;
    if (total > 0) {
      double target = rng.uniform() * total;
      pick = n - 1;
      for (size_t i = 0; i < n; ++i) {
        if (target < d2[i]) { pick = i; break; }
        target -= d2[i];
      }
    } else {
      pick = static_cast<size_t>(rng.below(n));  // every point coincides with a centroid
    }
    centroids.insert(centroids.end(), points.begin() + pick * dim, points.begin() + (pick + 1) * dim);
    const double* added = &centroids[static_cast<size_t>(c) * dim];
    for (size_t i = 0; i < n; ++i) d2[i] = std::min(d2[i], squared_distance(&points[i * dim], added, dim));
  }
  return centroids;
}

KMeansResult lloyd(const std::vector<double>& points, size_t n, int dim, int k, std::vector<double> centroids,
                   int max_iterations) {
  KMeansResult r;
  r.k = k;
  r.dim = dim;
  r.assignment.assign(n, -1);
  std::vector<double> sums(static_cast<size_t>(k) * dim);
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    bool changed = false;
    for (size_t i = 0; i < n; ++i) {
      const int c = nearest_centroid(centroids, dim, &points[i * dim]);
      changed = changed || c != r.assignment[i];
      r.assignment[i] = c;
    }
    if (!changed) break;
    std::fill(sums.begin(), sums.end(), 0.0);
    std::vector<int64_t> counts(k, 0);
    for (size_t i = 0; i < n; ++i) {
      const int c = r.assignment[i];
      ++counts[c];
      for (int j = 0; j < dim; ++j) sums[static_cast<size_t>(c) * dim + j] += points[i * dim + j];
    }
    for (int c = 0; c < k; ++c)
      if (counts[c] > 0)
        for (int j = 0; j < dim; ++j)
          centroids[static_cast<size_t>(c) * dim + j] = sums[static_cast<size_t>(c) * dim + j] / counts[c];
  }
  r.centroids = std::move(centroids);
  return r;
}

// Reorders clusters lexicographically by centroid and recomputes counts and inertia.
void canonicalise(const std::vector<double>& points, size_t n, KMeansResult& r) {
  const int k = r.k, dim = r.dim;
  std::vector<int> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return std::lexicographical_compare(r.centroids.begin() + a * dim, r.centroids.begin() + (a + 1) * dim,
                                        r.centroids.begin() + b * dim, r.centroids.begin() + (b + 1) * dim);
  });
  std::vector<int> new_index(k);
  std::vector<double> sorted;
  sorted.reserve(r.centroids.size());
  for (int c = 0; c < k; ++c) {
    new_index[order[c]] = c;
    sorted.insert(sorted.end(), r.centroids.begin() + order[c] * dim, r.centroids.begin() + (order[c] + 1) * dim);
  }
  r.centroids = std::move(sorted);
  r.counts.assign(k, 0);
  r.inertia = 0;
  for (size_t i = 0; i < n; ++i) {
    r.assignment[i] = new_index[r.assignment[i]];
    ++r.counts[r.assignment[i]];
    r.inertia += squared_distance(&points[i * dim], &r.centroids[static_cast<size_t>(r.assignment[i]) * dim], dim);
  }
}

}  // namespace

int nearest_centroid(const std::vector<double>& centroids, int dim, const double* point) {
  const int k = static_cast<int>(centroids.size() / static_cast<size_t>(dim));
  int best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (int c = 0; c < k; ++c) {
    const double d = squared_distance(point, &centroids[static_cast<size_t>(c) * dim], dim);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

KMeansResult kmeans(const std::vector<double>& points, int dim, int k, uint64_t seed, int restarts,
                    int max_iterations) {
  const size_t n = points.size() / static_cast<size_t>(dim);
  DeterministicRng rng(seed);
  KMeansResult best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (int attempt = 0; attempt < std::max(restarts, 1); ++attempt) {
    KMeansResult r = lloyd(points, n, dim, k, seed_centroids(points, n, dim, k, rng), max_iterations);
    canonicalise(points, n, r);
    if (r.inertia < best.inertia) best = std::move(r);  // ties keep the earlier restart
  }
  return best;
}

}  // namespace amnl::data
