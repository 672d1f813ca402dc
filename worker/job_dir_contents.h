#pragma once
// What a job directory already holds from earlier training: checkpoints (and their manifest),
// the final model, its history and metrics. `amnl train` asks before it starts, so that a fresh
// start never silently deletes finished or resumable work. The file names are the job dir's
// contract (common/job_dir_files.h); every access goes through the storage seam.
#include <string>
#include <vector>

#include "common/status.h"
#include "common/storage.h"

namespace amnl::worker {

// Paths (relative to `job_dir`) of the files that a fresh start would delete or overwrite,
// sorted; empty when the directory is new or holds none.
std::vector<std::string> earlier_training_files(const Storage& storage, const std::string& job_dir,
                                                const std::string& dataset, int64_t seed);
// The same on the real file system.
std::vector<std::string> earlier_training_files(const std::string& job_dir, const std::string& dataset,
                                                int64_t seed);

// Deletes exactly those files (a deliberate `--fresh`). Stops at the first error.
Status delete_earlier_training_files(Storage& storage, const std::string& job_dir,
                                     const std::vector<std::string>& files);
// The same on the real file system.
Status delete_earlier_training_files(const std::string& job_dir, const std::vector<std::string>& files);

}  // namespace amnl::worker
