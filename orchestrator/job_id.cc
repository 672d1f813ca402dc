#include "orchestrator/job_id.h"

#include <cerrno>
#include <cstdlib>

#include "common/safe_path.h"

namespace amnl::orch {

std::string job_id(const JobKey& key) { return key.dataset + "-s" + std::to_string(key.seed); }

Result<JobKey> parse_job_id(const std::string& id) {
  // The seed part is after the LAST "-s": dataset names may contain "-s" themselves.
  const auto pos = id.rfind("-s");
  if (pos == std::string::npos || pos == 0 || pos + 2 >= id.size())
    return Result<JobKey>::Error("bad job id '" + id + "': expected <dataset>-s<seed>");
  JobKey key;
  key.dataset = id.substr(0, pos);
  AMNL_RETURN_IF_ERROR(check_plain_name(key.dataset, "dataset name").with_context("job id '" + id + "'"));
  const std::string seed = id.substr(pos + 2);
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(seed.c_str(), &end, 10);
  if (errno != 0 || end == seed.c_str() || *end != '\0')
    return Result<JobKey>::Error("bad job id '" + id + "': seed is not an integer");
  key.seed = v;
  return key;
}

Result<std::string> job_dir(const std::string& run_dir, const JobKey& key) {
  auto ds = child_path(run_dir + "/jobs", key.dataset, "dataset name");
  if (!ds) return ds.status();
  return *ds + "/seed_" + std::to_string(key.seed);
}

}  // namespace amnl::orch
