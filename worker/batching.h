#pragma once
// Batches gathered by index from one features tensor (amnl.md windows are never materialised:
// a (N, window) row-index tensor picks each window's rows), and the job's own shuffling RNG,
// whose state is text so that checkpoints can hold it.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "common/cmapss/dataset.h"
#include "common/status.h"

namespace amnl::worker {

struct WindowTensors {
  torch::Tensor features;  // (rows, F) float: the one normalised array
  torch::Tensor rows;      // (N, window) int64: row of each time step of each window
  torch::Tensor rul;       // (N) float: RUL / R_max
  torch::Tensor health;    // (N) int64
  int64_t size() const { return rows.defined() ? rows.size(0) : 0; }
  // Windows `ids` (int64, on the same device) as a (B, window, F) batch.
  torch::Tensor gather(const torch::Tensor& ids) const;
};

WindowTensors make_window_tensors(const data::WindowSet& set, double r_max, const torch::Device& device);

// A seeded std::mt19937_64 with its own unbiased bounded draw, so permutations are the same
// with any standard library.
class Shuffler {
 public:
  explicit Shuffler(uint64_t seed) : rng_(seed) {}
  std::vector<int64_t> permutation(int64_t n);
  std::string state() const;
  Status set_state(const std::string& text);

 private:
  uint64_t below(uint64_t bound);
  std::mt19937_64 rng_;
};

}  // namespace amnl::worker
