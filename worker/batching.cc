#include "worker/batching.h"

#include <numeric>
#include <sstream>

namespace amnl::worker {

torch::Tensor WindowTensors::gather(const torch::Tensor& ids) const {
  const auto r = rows.index_select(0, ids);  // (B, W)
  return features.index_select(0, r.reshape({-1})).view({r.size(0), r.size(1), features.size(1)});
}

WindowTensors make_window_tensors(const data::WindowSet& set, double r_max, const torch::Device& device) {
  WindowTensors t;
  const auto n = static_cast<int64_t>(set.size());
  const auto nrows = static_cast<int64_t>(set.rows());
  // from_blob borrows the vector; clone() makes the tensor own its copy.
  t.features = torch::from_blob(const_cast<float*>(set.features.data()), {nrows, set.num_features}, torch::kFloat32)
                   .clone()
                   .to(device);
  auto rows = torch::empty({n, set.window}, torch::kInt64);
  auto* p = rows.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < set.window; ++k) *p++ = set.row_of(static_cast<size_t>(i), k);
  t.rows = rows.to(device);
  auto rul = torch::empty({n}, torch::kFloat32);
  auto* pr = rul.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) pr[i] = static_cast<float>(set.rul[i] / r_max);
  t.rul = rul.to(device);
  t.health = torch::from_blob(const_cast<int64_t*>(set.health.data()), {n}, torch::kInt64).clone().to(device);
  return t;
}

uint64_t Shuffler::below(uint64_t bound) {
  // Rejection sampling: draws in the incomplete last block of size 2^64 mod bound are redrawn.
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % bound;
  uint64_t x;
  do x = rng_();
  while (x >= limit);
  return x % bound;
}

std::vector<int64_t> Shuffler::permutation(int64_t n) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[below(static_cast<uint64_t>(i) + 1)]);
  return p;
}

std::string Shuffler::state() const {
  std::ostringstream ss;
  ss << rng_;
  return ss.str();
}

Status Shuffler::set_state(const std::string& text) {
  std::istringstream ss(text);
  std::mt19937_64 rng;
  ss >> rng;
  if (ss.fail()) return Status::Error("shuffling generator state is unreadable");
  rng_ = rng;
  return Status::Ok();
}

}  // namespace amnl::worker
