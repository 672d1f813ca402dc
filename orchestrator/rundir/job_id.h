#pragma once
// Stable job identity: a job is (dataset, seed); its id ("FD002-s123") names it in the ledger,
// the logs and the report, and its directory is <run_dir>/jobs/<dataset>/seed_<seed>.
#include <cstdint>
#include <string>

#include "common/status.h"

namespace amnl::orch {

struct JobKey {
  std::string dataset;  // a plain name (check_plain_name)
  int64_t seed = 0;
  bool operator==(const JobKey& o) const { return dataset == o.dataset && seed == o.seed; }
  bool operator<(const JobKey& o) const {
    return dataset != o.dataset ? dataset < o.dataset : seed < o.seed;
  }
};

std::string job_id(const JobKey& key);
// Inverse of job_id; the dataset part must be a plain name.
Result<JobKey> parse_job_id(const std::string& id);
// <run_dir>/jobs/<dataset>/seed_<seed>; the dataset is checked again so a path never escapes.
Result<std::string> job_dir(const std::string& run_dir, const JobKey& key);

}  // namespace amnl::orch
