#pragma once
// Evaluation metrics of amnl.md ("Metrics"), on plain vectors (RUL in cycles).
#include <cstdint>
#include <vector>

namespace amnl::worker {

// RMSE and MAE of no pairs are NaN (null in JSON): e.g. the validation RMSE under selection "test",
// which holds no units out; never a made-up 0.
double rmse(const std::vector<double>& pred, const std::vector<double>& truth);
double mae(const std::vector<double>& pred, const std::vector<double>& truth);
// NASA/PHM08 score: d = pred - truth; exp(-d/13) - 1 when d < 0 (early), else exp(d/10) - 1
// (late predictions cost more), summed over units.
double nasa_score(const std::vector<double>& pred, const std::vector<double>& truth);
double accuracy(const std::vector<int64_t>& pred, const std::vector<int64_t>& truth);
// Unweighted mean of per-class F1 over the classes present in truth or predictions (as
// scikit-learn's f1_score(average="macro")); a class with no true positives scores 0.
double macro_f1(const std::vector<int64_t>& pred, const std::vector<int64_t>& truth, int num_classes);

}  // namespace amnl::worker
