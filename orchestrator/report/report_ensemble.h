#pragma once
// The ensemble of a dataset's done seeds in the results report: the mean of their per-unit test
// predictions (test_predictions.csv), its RMSE, MAE and NASA score beside the single seeds' mean,
// the per-unit spread across seeds, and the gain table k = 1..n. Only done seeds with readable
// predictions on the same test units enter; every other seed is named with the reason.
#include <cstdint>
#include <string>
#include <vector>

#include "common/ensemble.h"

namespace amnl::orch {

struct SeedResult;

struct EnsembleUnit {
  int unit = 0;
  double true_rul = 0;
  std::vector<double> predictions;  // one per seed of EnsembleResult::seeds, in that order
  double ensemble = 0, spread = 0;  // mean and sample std over the seeds
};

struct EnsembleResult {
  bool available = false;
  std::string why_not;                // when !available: "no done seed with test predictions"
  std::vector<int64_t> seeds;         // the seeds in the ensemble
  std::vector<std::string> left_out;  // "FD001-s3: failed: <reason>", "FD001-s4: no test_predictions.csv"
  std::vector<EnsembleUnit> units;
  double rmse = 0, mae = 0, nasa_score = 0, mean_spread = 0;
  std::vector<EnsembleGain> gain;     // k = 1..seeds.size()
};

// The ensemble of `dataset`'s done seeds among `seeds`.
EnsembleResult dataset_ensemble(const std::vector<SeedResult>& seeds, const std::string& dataset);

}  // namespace amnl::orch
