#pragma once
// What a worker reports about its job, as the protocol carries it (ProgressMsg, ResultMsg in
// messages.h) and the scheduler takes it: the end of an attempt and an epoch's progress.
#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "common/job.h"

namespace amnl::orch {

struct ResultReport {
  JobEnd end = JobEnd::kFailed;
  std::string reason;
  nlohmann::json metrics;
  int epochs_run = 0;
  int resumed_from_epoch = -1;
  std::string final_model;
};

struct ProgressReport {
  int epoch = 0, max_epochs = 0;
  int early_stop_epoch = 0;  // see JobProgress; 0: not known (then the ledger record lacks it)
  // NaN: not measured (see JobProgress); the ledger then holds null, never a perfect-looking 0.
  double val_rmse = std::numeric_limits<double>::quiet_NaN();
  double best_val_rmse = std::numeric_limits<double>::quiet_NaN();
  double epoch_seconds = 0;
  int64_t batches_done = 0;
  std::string checkpoint;
  // The second validation curve (JobProgress::val_all_windows_rmse); NaN: not measured.
  double val_all_windows_rmse = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace amnl::orch
