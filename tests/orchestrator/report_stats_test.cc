// The report's statistics against known values: closed forms of the incomplete beta and the
// Student-t CDF, table quantiles, and R's documented t.test examples.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "orchestrator/report/report_stats.h"

namespace amnl::orch {
namespace {

TEST(ReportStats, IncompleteBetaMatchesClosedForms) {
  for (double x : {0.0, 0.1, 0.37, 0.5, 0.9, 1.0}) {
    EXPECT_NEAR(regularized_incomplete_beta(3.0, 1.0, x), std::pow(x, 3.0), 1e-12) << x;         // x^a
    EXPECT_NEAR(regularized_incomplete_beta(1.0, 4.0, x), 1 - std::pow(1 - x, 4.0), 1e-12) << x;  // 1-(1-x)^b
  }
  EXPECT_NEAR(regularized_incomplete_beta(7.5, 7.5, 0.5), 0.5, 1e-12);  // symmetry
  // I_0.3(2, 3) = 1 - [0.7^4 + 4 * 0.3 * 0.7^3]
  EXPECT_NEAR(regularized_incomplete_beta(2.0, 3.0, 0.3), 0.3483, 1e-12);
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(-1.0, 2.0, 0.5)));
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(1.0, 2.0, 1.5)));
}

TEST(ReportStats, StudentTCdfMatchesClosedFormsAndTables) {
  // df = 1 is Cauchy: 1/2 + atan(t)/pi; df = 2: 1/2 + t / (2 sqrt(2 + t^2)).
  for (double t : {-7.0, -1.0, 0.0, 0.3, 2.0, 25.0}) {
    EXPECT_NEAR(student_t_cdf(t, 1), 0.5 + std::atan(t) / M_PI, 1e-12) << t;
    EXPECT_NEAR(student_t_cdf(t, 2), 0.5 + t / (2 * std::sqrt(2 + t * t)), 1e-12) << t;
  }
  // Two-sided 5% critical values from t tables.
  EXPECT_NEAR(student_t_cdf(12.7062047, 1), 0.975, 1e-8);
  EXPECT_NEAR(student_t_cdf(2.7764451, 4), 0.975, 1e-8);
  EXPECT_NEAR(student_t_cdf(2.2281389, 10), 0.975, 1e-8);
  EXPECT_NEAR(student_t_cdf(-2.0859634, 20), 0.025, 1e-8);
  EXPECT_NEAR(student_t_cdf(1.959964, 1e7), 0.975, 1e-6);  // -> the normal
  EXPECT_EQ(student_t_cdf(INFINITY, 3), 1.0);
  EXPECT_TRUE(std::isnan(student_t_cdf(1.0, 0)));
}

TEST(ReportStats, StudentTQuantileInvertsTheCdf) {
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.7062047, 1e-6);
  EXPECT_NEAR(student_t_quantile(0.975, 2), 4.3026527, 1e-6);
  EXPECT_NEAR(student_t_quantile(0.975, 4), 2.7764451, 1e-6);
  EXPECT_NEAR(student_t_quantile(0.025, 9), -2.2621572, 1e-6);
  EXPECT_EQ(student_t_quantile(0.5, 3), 0.0);
  EXPECT_TRUE(std::isnan(student_t_quantile(1.0, 3)));
}

TEST(ReportStats, SummaryOfOneValueHasNoInterval) {
  const SampleSummary s = summarize({9.5});
  EXPECT_EQ(s.n, 1);
  EXPECT_DOUBLE_EQ(s.mean, 9.5);
  EXPECT_DOUBLE_EQ(s.min, 9.5);
  EXPECT_DOUBLE_EQ(s.max, 9.5);
  EXPECT_FALSE(s.has_interval);
  EXPECT_EQ(summarize({}).n, 0);
}

// R: t.test(1:10, y = c(7:20)) -> t = -5.4349, df = 21.982, p-value = 1.855e-05
//    t.test(1:10, y = c(7:20, 200)) -> t = -1.6329, df = 14.165, p-value = 0.1245
TEST(ReportStats, WelchMatchesR) {
  std::vector<double> a, b;
  for (int i = 1; i <= 10; ++i) a.push_back(i);
  for (int i = 7; i <= 20; ++i) b.push_back(i);
  TTestResult r = welch_t_test(a, b);
  ASSERT_TRUE(r.valid);
  EXPECT_NEAR(r.t, -5.4349, 5e-5);
  EXPECT_NEAR(r.df, 21.982, 5e-4);
  EXPECT_NEAR(r.p_two_sided, 1.855e-05, 5e-9);
  EXPECT_NEAR(r.difference, 5.5 - 13.5, 1e-12);
  b.push_back(200);
  r = welch_t_test(a, b);
  EXPECT_NEAR(r.t, -1.6329, 5e-5);
  EXPECT_NEAR(r.df, 14.165, 5e-4);
  EXPECT_NEAR(r.p_two_sided, 0.1245, 5e-5);
  EXPECT_FALSE(welch_t_test({1.0}, {2.0, 3.0}).valid);
  EXPECT_FALSE(welch_t_test({1.0, 1.0}, {2.0, 2.0}).valid);  // zero variance: no test
}

// R's sleep data: t.test(extra ~ group, data = sleep, paired = TRUE) -> t = -4.0621, df = 9,
// p-value = 0.002833; unpaired (Welch): t = -1.8608, df = 17.776, p-value = 0.07939.
TEST(ReportStats, PairedMatchesRSleepData) {
  const std::vector<double> g1 = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
  const std::vector<double> g2 = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};
  const TTestResult p = paired_t_test(g1, g2);
  ASSERT_TRUE(p.valid);
  EXPECT_NEAR(p.t, -4.0621, 5e-5);
  EXPECT_EQ(p.df, 9);
  EXPECT_NEAR(p.p_two_sided, 0.002833, 5e-7);
  EXPECT_NEAR(p.difference, -1.58, 1e-12);
  const TTestResult w = welch_t_test(g1, g2);
  EXPECT_NEAR(w.t, -1.8608, 5e-5);
  EXPECT_NEAR(w.df, 17.776, 5e-4);
  EXPECT_NEAR(w.p_two_sided, 0.07939, 5e-6);
  EXPECT_FALSE(paired_t_test({1.0}, {2.0}).valid);
}

}  // namespace
}  // namespace amnl::orch
