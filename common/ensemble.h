#pragma once
// The ensemble of several models' (seeds') predictions on the same units: the mean prediction
// per unit, the spread across models (sample std, an uncertainty band), and the RMSE, MAE and
// NASA score of the mean; and how the ensemble's RMSE falls with the number of models (k = 1..n,
// mean over subsets): what only a multi-seed run gives for free. Pure arithmetic on vectors, so
// the report (orchestrator) and `amnl predict/evaluate` (worker) share it.
#include <cstdint>
#include <string>
#include <vector>

namespace amnl {

struct EnsembleScores {
  std::vector<double> mean;    // per unit: mean over models
  std::vector<double> spread;  // per unit: sample std over models (0 with one model)
  double rmse = 0, mae = 0, nasa_score = 0;  // of `mean` against the truth (NaN without truth)
  double mean_spread = 0;      // mean over units of `spread`
};

// `predictions[m][u]`: model m's prediction for unit u; every model must cover the same units in
// the same order (the caller checks and says which differs). `truth` empty: no scores.
EnsembleScores ensemble_scores(const std::vector<std::vector<double>>& predictions, const std::vector<double>& truth);

// The RMSE of the k-model ensemble, averaged over subsets of k of the n models.
struct EnsembleGain {
  int k = 0;
  int64_t subsets = 0;     // subsets averaged (all of them, or a seeded sample when too many)
  bool sampled = false;    // true: `subsets` drawn at random (seed fixed), not all C(n, k)
  double mean_rmse = 0;    // mean over the subsets
  double min_rmse = 0, max_rmse = 0;
};
// Every subset when C(n, k) <= max_subsets, else max_subsets drawn (deterministic). n >= 1.
std::vector<EnsembleGain> ensemble_gain(const std::vector<std::vector<double>>& predictions,
                                        const std::vector<double>& truth, int64_t max_subsets = 5000);

// The NASA/PHM08 score of amnl.md: d = pred - truth, exp(-d/13) - 1 early, exp(d/10) - 1 late, summed.
double nasa_score_of(const std::vector<double>& pred, const std::vector<double>& truth);

}  // namespace amnl
