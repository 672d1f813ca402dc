#pragma once
// Time for the scheduling policy: seconds as a double, from a clock the tests can drive. The
// policy never reads the wall clock itself, so deadlines are testable without sleeping.
#include <chrono>

namespace amnl::orch {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double now() const = 0;  // seconds since an arbitrary, fixed origin; monotonic
};

class SteadyClock final : public Clock {
 public:
  double now() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(double start = 1000.0) : now_(start) {}
  double now() const override { return now_; }
  void advance(double seconds) { now_ += seconds; }
  void set(double t) { now_ = t; }

 private:
  double now_;
};

}  // namespace amnl::orch
