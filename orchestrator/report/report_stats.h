#pragma once
// The statistics of the results report: per-dataset summaries of seed RMSEs (mean, sample std,
// 95% Student-t interval) and the t-tests of `amnl report --compare`. The Student-t
// distribution is computed here (regularised incomplete beta by continued fraction), so that the
// report needs no statistics library and its numbers are checked against known tables in tests.
#include <string>
#include <vector>

namespace amnl::orch {

// Regularised incomplete beta I_x(a, b) for a, b > 0 and 0 <= x <= 1; NaN outside that domain.
double regularized_incomplete_beta(double a, double b, double x);
// P(T <= t) for Student's t with `df` > 0 degrees of freedom (df may be fractional, as Welch's is).
double student_t_cdf(double t, double df);
// The t with student_t_cdf(t, df) == p, for 0 < p < 1 (bisection on the CDF, |error| < 1e-10).
double student_t_quantile(double p, double df);

// Summary of one dataset's values (test RMSE of its done seeds).
struct SampleSummary {
  int n = 0;
  double mean = 0, sd = 0, min = 0, max = 0;  // sd: sample std (n - 1); 0 when n < 2
  bool has_interval = false;                  // a t-interval needs n >= 2
  double ci_low = 0, ci_high = 0;             // mean -/+ t(0.975, n-1) * sd / sqrt(n)
  double t_critical = 0;                      // that t quantile
};
// `confidence` is two-sided (0.95 -> the 0.975 quantile).
SampleSummary summarize(const std::vector<double>& values, double confidence = 0.95);

struct TTestResult {
  bool valid = false;
  std::string why_not;  // when !valid: "needs at least 2 values in each run", ...
  double difference = 0;  // mean(a) - mean(b), or mean of pairwise differences
  double t = 0, df = 0;
  double p_two_sided = 1;
  int n_a = 0, n_b = 0;  // for the paired test both are the number of pairs
};
// Welch's unequal-variance t-test of mean(a) == mean(b).
TTestResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b);
// Paired t-test of mean(a[i] - b[i]) == 0 (a and b of equal length, matched by seed).
TTestResult paired_t_test(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace amnl::orch
