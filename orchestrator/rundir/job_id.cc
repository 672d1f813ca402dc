#include "orchestrator/rundir/job_id.h"

#include <cerrno>
#include <cstdlib>

#include "common/safe_path.h"

namespace amnl::orch {

std::string job_id(const JobKey& key) { return key.dataset + "-s" + std::to_string(key.seed); }

Result<JobKey> parse_job_id(const std::string& id) {
  // The seed part is after the LAST "-s": dataset names may contain "-s" themselves.
  // Ids come from messages and ledger records: quoted safely (printable) in every message.
  const std::string shown = "job id " + printable(id);
  const auto pos = id.rfind("-s");
  if (pos == std::string::npos || pos == 0 || pos + 2 >= id.size())
    return Result<JobKey>::Error("bad " + shown + ": expected <dataset>-s<seed>");
  JobKey key;
  key.dataset = id.substr(0, pos);
  AMNL_RETURN_IF_ERROR(check_plain_name(key.dataset, "dataset name").with_context(shown));
  const std::string seed = id.substr(pos + 2);
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(seed.c_str(), &end, 10);
  if (errno != 0 || end == seed.c_str() || *end != '\0')
    return Result<JobKey>::Error("bad " + shown + ": seed is not an integer");
  key.seed = v;
  // One spelling per job: strtoll also takes " 5", "+5" and "007".
  if (job_id(key) != id) return Result<JobKey>::Error("bad " + shown + ": not canonical (" + job_id(key) + ")");
  return key;
}

Result<std::string> job_dir(const std::string& run_dir, const JobKey& key) {
  auto ds = child_path(run_dir + "/jobs", key.dataset, "dataset name");
  if (!ds) return ds.status();
  const std::string dir = *ds + "/seed_" + std::to_string(key.seed);
  // RUN_DIR/jobs/FD001 -> /elsewhere: the lease, checkpoints and results would land outside.
  AMNL_RETURN_IF_ERROR(check_stays_inside(run_dir, dir));
  return dir;
}

}  // namespace amnl::orch
