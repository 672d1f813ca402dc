#pragma once
// Inference with a deployment model file (<DATASET>_v7_seed<SEED>.pt), a dict saved by
// torch.save in Python with its keys (model_state_dict, model_config, scaler_params:
// checkpoint_dict.h), or a training checkpoint such as checkpoints/best_epoch_N.pt (its best EMA
// weights), and nothing else: its weights, recipe and scaler params say how to read, normalise
// and window new data. Files of earlier amnl versions (TorchScript archives) are read too. No
// torch in this header (the CLI uses it).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace amnl::worker {

struct UnitPredictions {
  std::vector<int> units;            // in file order
  std::vector<double> rul;           // predicted RUL, cycles
  std::vector<int64_t> health;       // predicted health class
  std::vector<double> true_rul;      // from the RUL file (capped at R_max), when given
  std::vector<int64_t> true_health;  // from true_rul, when given
  nlohmann::json model_meta;         // dataset, seed, recipe, best epoch, training metrics
};

// `rul_path` empty: predictions only. Errors name the file and the problem.
Result<UnitPredictions> predict_with_model_file(const std::string& model_path, const std::string& data_path,
                                                const std::string& rul_path, int threads);

}  // namespace amnl::worker
