#pragma once
// Random numbers that are the same on every platform for a seed. std::mt19937_64's output is fixed
// by the standard, but std::uniform_int_distribution, std::normal_distribution and std::shuffle
// are not, so the validation split, k-means seeding and the synthetic data draw only through here.
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace amnl::data {

class DeterministicRng {
 public:
  explicit DeterministicRng(uint64_t seed) : engine_(seed) {}

  uint64_t next() { return engine_(); }

  // Uniform in [0, 1) from the top 53 bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  // Uniform in [0, n), unbiased: rejects the low remainder of the 2^64 range. n must be > 0.
  uint64_t below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    for (;;) {
      const uint64_t x = engine_();
      if (x >= threshold) return x % n;
    }
  }

  // Standard normal by Box-Muller (one value per call, the pair's second value is discarded for
  // simplicity; speed does not matter where this is used).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }

  // Fisher-Yates, from the back.
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(below(i));
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace amnl::data
