#pragma once
// The training loop of one job (amnl.md "Optimisation"), its checkpoints and exact resume, the
// final evaluation and the deployment files. job_runner.cc prepares what it needs.
#include <memory>
#include <string>

#include "common/cmapss/dataset.h"
#include "common/job.h"
#include "common/job_dir_files.h"
#include "common/recipe_config.h"
#include "common/storage.h"

namespace spdlog { class logger; }

namespace amnl::worker {

struct TrainerSetup {
  const JobRequest* request = nullptr;
  const JobCallbacks* callbacks = nullptr;
  RecipeConfig recipe;
  std::shared_ptr<Storage> storage;
  std::shared_ptr<spdlog::logger> log;
  data::PreparedData data;
  std::string device = "cpu";  // torch device string, e.g. "cpu", "cuda:1"
  int threads = 1;
  // CRC-32 of the data files the job read (train, test, RUL, in that order; "" if unknown):
  // which data a result comes from, so that a data set changed during a run is not averaged
  // with the old one unnoticed (the report compares it across each dataset's seeds).
  std::string data_crc32;
};

// Job file names of system.md ("Checkpoints on shared storage"), shared with the report.
using job_files::final_model_name;   // FD001_v7_seed42.pt
using job_files::history_json_name;  // FD001_v7_seed42_history.json
using job_files::history_csv_name;   // FD001_v7_seed42_history.csv

JobResult run_trainer(TrainerSetup& setup);

}  // namespace amnl::worker
