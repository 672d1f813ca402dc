#include "orchestrator/report/report_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace amnl::orch {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Continued fraction of I_x(a, b) by the modified Lentz method (Numerical Recipes' betacf);
// converges quickly for x < (a + 1) / (a + b + 2), which the caller arranges by symmetry.
double beta_continued_fraction(double a, double b, double x) {
  constexpr int kMaxIterations = 500;
  constexpr double kEpsilon = 1e-15;
  constexpr double kTiny = 1e-300;
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < kEpsilon) break;
  }
  return h;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// Sample variance (n - 1 in the denominator), two-pass for accuracy.
double sample_variance(const std::vector<double>& v, double mean) {
  if (v.size() < 2) return 0;
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return ss / static_cast<double>(v.size() - 1);
}

double two_sided_p(double t, double df) {
  if (std::isnan(t)) return kNaN;
  return std::min(1.0, 2.0 * student_t_cdf(-std::fabs(t), df));
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return kNaN;
  if (x == 0) return 0;
  if (x == 1) return 1;
  // x^a (1-x)^b / (a B(a, b)), in logs so that large a, b do not overflow.
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1.0) / (a + b + 2.0)) return std::exp(log_front) * beta_continued_fraction(a, b, x) / a;
  return 1.0 - std::exp(log_front) * beta_continued_fraction(b, a, 1.0 - x) / b;
}

double student_t_cdf(double t, double df) {
  if (!(df > 0) || std::isnan(t)) return kNaN;
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  // P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2).
  const double tail = 0.5 * regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
  return t >= 0 ? 1.0 - tail : tail;
}

double student_t_quantile(double p, double df) {
  if (!(p > 0) || !(p < 1) || !(df > 0)) return kNaN;
  if (p == 0.5) return 0;
  // The CDF is monotone: widen a bracket until it holds p, then bisect.
  double lo = -1, hi = 1;
  while (student_t_cdf(lo, df) > p) lo *= 2;
  while (student_t_cdf(hi, df) < p) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * std::max(1.0, std::fabs(hi)); ++i) {
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

SampleSummary summarize(const std::vector<double>& values, double confidence) {
  SampleSummary s;
  s.n = static_cast<int>(values.size());
  if (values.empty()) return s;
  s.mean = mean_of(values);
  s.min = *std::min_element(values.begin(), values.end());
  s.max = *std::max_element(values.begin(), values.end());
  if (s.n < 2) return s;
  s.sd = std::sqrt(sample_variance(values, s.mean));
  s.has_interval = true;
  s.t_critical = student_t_quantile(1.0 - (1.0 - confidence) / 2.0, s.n - 1);
  const double half = s.t_critical * s.sd / std::sqrt(static_cast<double>(s.n));
  s.ci_low = s.mean - half;
  s.ci_high = s.mean + half;
  return s;
}

TTestResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  TTestResult r;
  r.n_a = static_cast<int>(a.size());
  r.n_b = static_cast<int>(b.size());
  if (a.size() < 2 || b.size() < 2) {
    r.why_not = "needs at least 2 done seeds in each run";
    if (!a.empty() && !b.empty()) r.difference = mean_of(a) - mean_of(b);
    return r;
  }
  const double ma = mean_of(a), mb = mean_of(b);
  const double va = sample_variance(a, ma) / a.size(), vb = sample_variance(b, mb) / b.size();
  r.difference = ma - mb;
  if (va + vb == 0) {
    r.why_not = "both runs have zero variance";
    return r;
  }
  r.valid = true;
  r.t = r.difference / std::sqrt(va + vb);
  // Welch-Satterthwaite degrees of freedom.
  r.df = (va + vb) * (va + vb) / (va * va / (a.size() - 1) + vb * vb / (b.size() - 1));
  r.p_two_sided = two_sided_p(r.t, r.df);
  return r;
}

TTestResult paired_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  TTestResult r;
  const size_t n = std::min(a.size(), b.size());
  r.n_a = r.n_b = static_cast<int>(n);
  if (a.size() != b.size()) {
    r.why_not = "unequal numbers of paired values";
    return r;
  }
  std::vector<double> d(n);
  for (size_t i = 0; i < n; ++i) d[i] = a[i] - b[i];
  r.difference = mean_of(d);
  if (n < 2) {
    r.why_not = "needs at least 2 seeds done in both runs";
    return r;
  }
  const double sd = std::sqrt(sample_variance(d, r.difference));
  if (sd == 0) {
    r.why_not = "the paired differences have zero variance";
    return r;
  }
  r.valid = true;
  r.t = r.difference / (sd / std::sqrt(static_cast<double>(n)));
  r.df = static_cast<double>(n - 1);
  r.p_two_sided = two_sided_p(r.t, r.df);
  return r;
}

}  // namespace amnl::orch
