#include "worker/job_dir_contents.h"

#include <algorithm>

#include "common/job_dir_files.h"

namespace amnl::worker {

std::vector<std::string> earlier_training_files(const Storage& storage, const std::string& job_dir,
                                                const std::string& dataset, int64_t seed) {
  std::vector<std::string> found;
  // Everything inside checkpoints/: checkpoints, the manifest and leftover temporaries alike. A
  // directory that cannot be listed (a new job dir has none) holds nothing found.
  const std::string checkpoints = job_files::kCheckpointsDir;
  if (auto inside = storage.list_files(job_dir + "/" + checkpoints))
    for (const std::string& f : *inside) found.push_back(checkpoints + "/" + f);
  if (auto top = storage.list_files(job_dir)) {
    for (const std::string& name : {job_files::final_model_name(dataset, seed), job_files::history_json_name(dataset, seed),
                                    job_files::history_csv_name(dataset, seed), std::string(job_files::kMetrics),
                                    std::string(job_files::kTestPredictions)})
      if (std::binary_search(top->begin(), top->end(), name)) found.push_back(name);
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::vector<std::string> earlier_training_files(const std::string& job_dir, const std::string& dataset,
                                                int64_t seed) {
  return earlier_training_files(*make_posix_storage(), job_dir, dataset, seed);
}

Status delete_earlier_training_files(Storage& storage, const std::string& job_dir,
                                     const std::vector<std::string>& files) {
  for (const std::string& f : files)
    if (Status st = storage.remove(job_dir + "/" + f); !st.ok())
      return Status::Error("cannot delete " + job_dir + "/" + f + " (" + st.message() + ")");
  return Status::Ok();
}

Status delete_earlier_training_files(const std::string& job_dir, const std::vector<std::string>& files) {
  return delete_earlier_training_files(*make_posix_storage(), job_dir, files);
}

}  // namespace amnl::worker
