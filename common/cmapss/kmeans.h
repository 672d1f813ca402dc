#pragma once
// k-means for finding the operating conditions of C-MAPSS rows (k = 6 on the three settings).
// Deterministic for a seed on every platform: k-means++ seeding through DeterministicRng, Lloyd
// iterations in a fixed order, the best of several restarts, clusters returned in a canonical
// (lexicographic) order so that condition ids do not depend on which restart won.
#include <cstdint>
#include <vector>

namespace amnl::data {

struct KMeansResult {
  int k = 0;
  int dim = 0;
  std::vector<double> centroids;  // k x dim, row-major, sorted lexicographically
  std::vector<int> assignment;    // per point: index of its nearest centroid
  std::vector<int64_t> counts;    // per cluster: points assigned
  double inertia = 0;             // sum of squared distances to the assigned centroid
};

// `points` is n x dim row-major (n >= 1); k >= 1, restarts >= 1. A cluster that loses all its
// points keeps its previous centroid (it then simply stays empty); with fewer distinct points
// than k some centroids coincide and their clusters are empty.
KMeansResult kmeans(const std::vector<double>& points, int dim, int k, uint64_t seed, int restarts,
                    int max_iterations = 100);

// Index of the centroid nearest to `point` (dim values); ties go to the lower index.
int nearest_centroid(const std::vector<double>& centroids, int dim, const double* point);

}  // namespace amnl::data
