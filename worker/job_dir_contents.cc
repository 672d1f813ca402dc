#include "worker/job_dir_contents.h"

#include <algorithm>
#include <filesystem>

#include "worker/trainer.h"

namespace amnl::worker {

namespace fs = std::filesystem;

std::vector<std::string> earlier_training_files(const std::string& job_dir, const std::string& dataset,
                                                int64_t seed) {
  std::vector<std::string> found;
  std::error_code ec;
  // Everything inside checkpoints/: checkpoints, the manifest and leftover temporaries alike.
  for (fs::directory_iterator it(fs::path(job_dir) / "checkpoints", ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) found.push_back("checkpoints/" + it->path().filename().string());
  for (const std::string& name : {final_model_name(dataset, seed), history_json_name(dataset, seed),
                                  history_csv_name(dataset, seed), std::string("metrics.json"),
                                  std::string("test_predictions.csv")})
    if (fs::is_regular_file(fs::path(job_dir) / name, ec)) found.push_back(name);
  std::sort(found.begin(), found.end());
  return found;
}

Status delete_earlier_training_files(const std::string& job_dir, const std::vector<std::string>& files) {
  for (const std::string& f : files) {
    std::error_code ec;
    fs::remove(fs::path(job_dir) / f, ec);
    if (ec) return Status::Error("cannot delete " + job_dir + "/" + f + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace amnl::worker
