#pragma once
// `amnl predict` and `amnl evaluate` over several final models: the ensemble of the seeds (the
// mean prediction per unit) with its spread across models (sample std). The models come from
// several --model files, or from a run dir: every done seed's final model of one dataset.
#include <string>
#include <vector>

#include "common/status.h"

namespace amnl::worker {

struct EnsembleCommand {
  std::vector<std::string> models;  // --model, repeated
  std::string run_dir, dataset;     // --run RUN_DIR --dataset D instead of --model
  std::string data, rul;            // --data, --rul (evaluate); from the run's data_dir when empty with --run
  int threads = 0;
  bool evaluate = false;            // evaluate: metrics JSON; predict: one line per unit
};

// The final models of a run's dataset: <run>/jobs/<D>/seed_<S>/<final_model_name(D, S)> for each
// seed dir holding one, in seed order. Errors when the dataset has none, naming where it looked.
Result<std::vector<std::string>> run_final_models(const std::string& run_dir, const std::string& dataset);

// Fills --data / --rul from <run>/experiment.json's data_dir when they are empty.
Status default_data_files(EnsembleCommand& c);

// Runs the command and prints to stdout; returns the exit status (errors go to stderr).
int run_ensemble_command(EnsembleCommand c);

}  // namespace amnl::worker
