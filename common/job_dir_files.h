#pragma once
// The file contract of a job directory (<run>/jobs/<dataset>/seed_<seed>/, or `amnl train --out`):
// the names of the files it holds, the header of the history CSV and of the predictions CSV, and
// the keys of metrics.json and of the history's epochs. The trainer (worker/) writes these files;
// the report, the coordinator's lease and recovery, and `amnl train`'s check for earlier training
// (worker/job_dir_contents.h) read them. All of them spell the names through this header, so a
// renamed file or key cannot leave a reader behind. In common/ because both worker/ and
// orchestrator/ use it, and neither may include the other.
#include <cstdint>
#include <string>

namespace amnl::job_files {

// ---- The files -----------------------------------------------------------------------------
inline constexpr const char* kMetrics = "metrics.json";  // written last: its presence means done
inline constexpr const char* kTestPredictions = "test_predictions.csv";
inline constexpr const char* kLease = "lease.json";         // the attempt that owns the job (fencing)
inline constexpr const char* kCheckpointsDir = "checkpoints";  // checkpoints and their MANIFEST.json
std::string final_model_name(const std::string& dataset, int64_t seed);   // FD001_v7_seed42.pt
std::string history_json_name(const std::string& dataset, int64_t seed);  // FD001_v7_seed42_history.json
std::string history_csv_name(const std::string& dataset, int64_t seed);   // FD001_v7_seed42_history.csv

// ---- The CSV headers -----------------------------------------------------------------------
// One row per test unit: for the report's predicted-vs-true plot and the seeds' ensemble.
inline constexpr const char* kTestPredictionsHeader = "unit,true_rul,predicted_rul,health_true,health_predicted";
// One row per epoch. The two validation kinds' columns come last, so that readers of the older
// columns keep working.
inline constexpr const char* kHistoryCsvHeader =
    "epoch,loss,rul_loss,health_loss,val_rmse,lr,improved,seconds,val_last_window_rmse,val_all_windows_rmse";

// ---- The history (<dataset>_v7_seed<seed>_history.json: an array of epochs) ----------------
namespace history_key {
inline constexpr const char* kEpoch = "epoch";  // 1-based
inline constexpr const char* kLoss = "loss";
inline constexpr const char* kRulLoss = "rul_loss";
inline constexpr const char* kHealthLoss = "health_loss";
inline constexpr const char* kValRmse = "val_rmse";  // of the recipe's validation kind; null without held-out units
inline constexpr const char* kLr = "lr";
inline constexpr const char* kImproved = "improved";
inline constexpr const char* kSeconds = "seconds";
inline constexpr const char* kTestRmse = "test_rmse";  // only under selection "test" (it selects then)
inline constexpr const char* kValLastWindowRmse = "val_last_window_rmse";  // absent without held-out units
inline constexpr const char* kValAllWindowsRmse = "val_all_windows_rmse";  // absent without held-out units
}  // namespace history_key

// ---- metrics.json (also the ledger's done record's "metrics") -------------------------------
namespace metrics_key {
inline constexpr const char* kDataset = "dataset";
inline constexpr const char* kSeed = "seed";
inline constexpr const char* kSelection = "selection";  // "validation" | "test"
inline constexpr const char* kTestRmse = "test_rmse";
inline constexpr const char* kTestMae = "test_mae";
inline constexpr const char* kNasaScore = "nasa_score";
inline constexpr const char* kHealthAccuracy = "health_accuracy";
inline constexpr const char* kHealthMacroF1 = "health_macro_f1";
inline constexpr const char* kValRmse = "val_rmse";
inline constexpr const char* kValLastWindowRmse = "val_last_window_rmse";
inline constexpr const char* kValAllWindowsRmse = "val_all_windows_rmse";
inline constexpr const char* kValidation = "validation";  // the protocol: an object (validation_key)
inline constexpr const char* kBestEpoch = "best_epoch";
inline constexpr const char* kBestSelectionRmse = "best_selection_rmse";
inline constexpr const char* kEpochsRun = "epochs_run";
inline constexpr const char* kEarlyStopped = "early_stopped";
inline constexpr const char* kTestUnits = "test_units";
inline constexpr const char* kValWindows = "val_windows";
inline constexpr const char* kParameters = "parameters";
inline constexpr const char* kWeightsCrc32 = "weights_crc32";
inline constexpr const char* kDataCrc32 = "data_crc32";
inline constexpr const char* kSelectionNote = "selection_note";
// What differs between an interrupted and an uninterrupted run: an object with these keys.
inline constexpr const char* kRun = "run";
inline constexpr const char* kRunWallSeconds = "wall_seconds";
inline constexpr const char* kRunAttempt = "attempt";
inline constexpr const char* kRunResumes = "resumes";
inline constexpr const char* kRunThreads = "threads";
inline constexpr const char* kRunDevice = "device";
}  // namespace metrics_key

// metrics.json's "validation": what every validation figure of the job means.
namespace validation_key {
inline constexpr const char* kKind = "kind";  // last_window | all_windows | test
inline constexpr const char* kUnitsHeldOut = "units_held_out";
inline constexpr const char* kWindows = "windows";
inline constexpr const char* kCutWindows = "cut_windows";
inline constexpr const char* kCutsPerUnit = "cuts_per_unit";
inline constexpr const char* kCutRulRange = "cut_rul_range";  // [min, max]
inline constexpr const char* kRMax = "r_max";
inline constexpr const char* kWindow = "window";
}  // namespace validation_key

}  // namespace amnl::job_files
