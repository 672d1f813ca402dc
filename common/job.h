#pragma once
// The contract between whoever schedules a job (the `amnl train` command, the orchestrator's
// worker loop) and the trainer that runs it. No torch and no MPI here, so that the orchestrator
// can be built and tested without either; app/ binds the real trainer to it.
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "common/fence.h"

namespace amnl {

struct JobRequest {
  std::string dataset;   // plain name, e.g. "FD001" (files <data_dir>/train_<dataset>.txt ...)
  int64_t seed = 0;
  std::string data_dir;
  std::string job_dir;   // e.g. <run_dir>/jobs/FD001/seed_42; created if absent
  int attempt = 1;       // 1, 2, ...: stored in checkpoints and their manifest entries
  nlohmann::json recipe; // a recipe config (see worker's RecipeConfig); {} means defaults
  int threads = 0;       // intra-op threads; 0 = decide from the environment
  bool resume = true;    // continue from the newest valid checkpoint in <job_dir>/checkpoints if any
  // Set by whoever leases the job (the worker loop, from lease.json): the commit of every file is
  // then fenced (common/fence.h, worker/checkpoint_store.h). Unset: a single writer.
  FenceId fence;
};

struct JobProgress {
  int epoch = 0;            // epochs completed so far (1-based count)
  int max_epochs = 0;
  // The epoch after which early stopping ends the job unless the selection metric improves first
  // (at most max_epochs); 0: not known. What an ETA should count to: max_epochs alone is the
  // worst case, often several times too long (quick preset: stops near 23 of 45).
  int early_stop_epoch = 0;
  // NaN: not measured (selection on the test set, no best epoch yet); never 0, which reads as perfect.
  double val_rmse = std::numeric_limits<double>::quiet_NaN();
  double best_val_rmse = std::numeric_limits<double>::quiet_NaN();
  // The RMSE over every window of the held-out units: the second curve when val_rmse is the
  // last-window (cut-point) validation RMSE that selects (recipe data.validation).
  double val_all_windows_rmse = std::numeric_limits<double>::quiet_NaN();
  double epoch_seconds = 0.0;
  int64_t batches_done = 0; // grows inside an epoch too: a liveness/progress counter
  std::string checkpoint;   // path of a checkpoint written at this event, if any
};

// kStorageFailed: the job's files could not be written (disk full, quota, I/O error). Not the
// job's fault, so it costs no attempt; the coordinator stops the run cleanly instead of burning
// every job's retries against a full disk.
enum class JobEnd { kDone, kFailed, kPreempted, kFenced, kStorageFailed };

struct JobResult {
  JobEnd end = JobEnd::kFailed;
  std::string reason;            // for every end but kDone: human-readable
  nlohmann::json metrics;        // for kDone: the contents of metrics.json
  int epochs_run = 0;
  int resumed_from_epoch = -1;   // -1 when started fresh
  std::string final_model;       // path of the deployment model, for kDone
};

struct JobCallbacks {
  // Called after every batch (cheaply) and at every epoch end; may be empty.
  std::function<void(const JobProgress&)> on_progress;
  // Set by a signal handler or the worker loop: finish the current batch, write an emergency
  // checkpoint, return kPreempted.
  const std::atomic<bool>* stop_requested = nullptr;
  // Asked before every durable write (checkpoint, model, metrics) and, with a fence, again right
  // before its commit: false means a newer attempt owns the job, so write nothing and return
  // kFenced. Empty means always the owner.
  std::function<bool()> still_owner;
};

using JobRunnerFn = std::function<JobResult(const JobRequest&, const JobCallbacks&)>;

}  // namespace amnl
