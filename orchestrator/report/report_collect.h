#pragma once
// Reads a run dir for the results report, changing nothing and taking no lock, so it works
// while `amnl run` is live: experiment.json (the planned datasets x seeds, data dir, recipe),
// ledger.jsonl (decoded from its bytes with decode_ledger, never Ledger::replay), and each job
// dir's metrics.json, history and test_predictions.csv. Every problem with a file becomes a
// message naming the file, attached to the seed it concerns (or to the run); nothing throws.
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/storage.h"
#include "orchestrator/report/report_ensemble.h"
#include "orchestrator/report/report_stats.h"

namespace amnl::orch {

struct EpochPoint {
  int epoch = 0;
  double val_rmse = 0;  // the selection RMSE of that epoch (validation, or test under selection=test)
  // The second curve: every window of the held-out units (NaN when not recorded, e.g. when
  // val_rmse is that very RMSE, under validation "all_windows", or in a run from before it).
  double val_all_windows_rmse = std::nan("");
};

struct TestPrediction {
  int unit = 0;
  double true_rul = 0, predicted_rul = 0;
  int health_true = 0, health_predicted = 0;
};

// One planned (dataset, seed), or one found in the run dir that was not planned.
struct SeedResult {
  std::string dataset;
  int64_t seed = 0;
  std::string job;  // "FD001-s42"
  // done | failed | running | pending (queued, retrying or preempted) | missing (no trace at all)
  std::string state = "missing";
  std::string reason;  // why it is not done (or "" when done)
  bool has_metrics = false;  // the metrics below were read (from metrics.json or the done record)
  double test_rmse = 0, test_mae = 0, nasa_score = 0, health_accuracy = 0, health_macro_f1 = 0;
  std::optional<double> val_rmse;              // of the job's validation kind: the one that selected
  std::optional<double> val_last_window_rmse;  // both kinds, when metrics.json has them
  std::optional<double> val_all_windows_rmse;
  // metrics.json's "validation": kind (last_window | all_windows | test), units_held_out,
  // cut_windows, cuts_per_unit, cut_rul_range, r_max, window; "" kind: not recorded (older run).
  std::string validation_kind;
  nlohmann::json validation;
  int best_epoch = -1, epochs_run = -1;
  std::optional<double> wall_seconds;
  int attempts = 0;              // attempts assigned (ledger)
  int resumes = 0;               // real resumes from a checkpoint (metrics.run.resumes)
  int resumed_from_epoch = -1;   // of the final attempt (done record); -1: started fresh
  std::string selection;         // "validation" | "test" | "" (unknown)
  std::string protocol;          // "validation selection" | "selected on test: leaks"
  std::string metrics_source;    // "metrics.json" | "ledger done record" | ""
  std::string data_crc32;        // of the data files it trained on (metrics); "" when not recorded
  std::vector<std::string> problems;  // unreadable files, with the file named
  std::vector<EpochPoint> history;    // learning curve (history file, else ledger progress)
  std::vector<TestPrediction> predictions;
  std::string job_dir;
  bool planned = true;  // false: found in the ledger but not in experiment.json's datasets x seeds
};

// The published reference figure of a dataset (amnl.md), when it has one.
struct ReferenceFigure {
  double mean = 0, sd = 0;
};
std::optional<ReferenceFigure> published_reference(const std::string& dataset);

// A constant predictor's test RMSE: every test unit gets the mean capped RUL of all training rows.
struct ConstantBaseline {
  bool available = false;
  std::string why_not;  // data files missing or unreadable
  double predicted_rul = 0, test_rmse = 0;
  int test_units = 0;
};
// From <data_dir>/{train,test,RUL}_<dataset>.txt with the common/ parser, RUL capped at r_max.
ConstantBaseline constant_baseline(const std::string& data_dir, const std::string& dataset, double r_max);

struct DatasetResult {
  std::string dataset;
  int planned = 0, done = 0;  // done: done seeds with metrics (those in the statistics)
  SampleSummary rmse;         // of the done seeds' test RMSE
  std::optional<ReferenceFigure> reference;
  ConstantBaseline baseline;
  std::string protocol;       // of its seeds; "mixed" when they differ
  std::vector<std::string> not_done;  // "FD001-s3: failed: <reason>" for each seed not in rmse
  // Set when its done seeds trained on different data files (data_crc32): which seeds on which.
  std::string mixed_data;
  EnsembleResult ensemble;  // of its done seeds (report_ensemble.h)
  std::string validation;   // the validation protocol of its seeds, in words (report_validation_text)
};

struct RunResults {
  std::string run_dir;
  std::string generated;  // UTC time of the report
  std::string data_dir, preset, selection;
  double r_max = 125;
  std::vector<std::string> datasets;
  std::vector<int64_t> seeds;
  std::string run_state;  // outcome.json's outcome, or "running" / "unknown" from the ledger
  std::vector<std::string> warnings;  // run-level problems (ledger damage, experiment.json)
  std::vector<SeedResult> seeds_results;  // planned ones in (dataset, seed) order, then unplanned
  std::vector<DatasetResult> dataset_results;
};

// Errors only when `run_dir` is not a run dir (neither experiment.json nor ledger.jsonl).
// `with_baseline` false skips reading the data files (used by --compare for the other run).
Result<RunResults> collect_run_results(const Storage& storage, const std::string& run_dir,
                                       bool with_baseline = true);

// The median seed of a dataset (lower middle for an even count) among its done seeds, by test
// RMSE; nullptr when it has none.
const SeedResult* median_seed(const RunResults& run, const std::string& dataset);

}  // namespace amnl::orch
