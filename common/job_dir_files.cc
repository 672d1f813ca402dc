#include "common/job_dir_files.h"

namespace amnl::job_files {

namespace {

// "<dataset>_v7_seed<seed>": the stem every per-job file name of system.md shares.
std::string stem(const std::string& dataset, int64_t seed) { return dataset + "_v7_seed" + std::to_string(seed); }

}  // namespace

std::string final_model_name(const std::string& dataset, int64_t seed) { return stem(dataset, seed) + ".pt"; }
std::string history_json_name(const std::string& dataset, int64_t seed) {
  return stem(dataset, seed) + "_history.json";
}
std::string history_csv_name(const std::string& dataset, int64_t seed) { return stem(dataset, seed) + "_history.csv"; }

}  // namespace amnl::job_files
