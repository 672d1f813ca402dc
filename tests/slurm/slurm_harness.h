#pragma once
// A private, real single-node Slurm (munged + slurmctld + slurmd) for one test: started from
// slurm/local/start.sh on a fresh directory and free-ish ports, stopped (jobs cancelled,
// daemons killed by PID file, directory purged) when the object dies, even after a failed
// assertion. Needs root and the slurm-wlm + munge packages; available() says why not.
#include <sys/types.h>

#include <string>
#include <vector>

#include "integration/orch_helpers.h"  // Spawned
#include "support/test_support.h"

namespace amnl::test {

class LocalSlurm {
 public:
  // Empty when Slurm can run here, else why not (not root, packages missing): tests skip then.
  static std::string unavailable_reason();

  LocalSlurm();  // starts the cluster; throws with the log tail when it does not come up
  ~LocalSlurm();
  LocalSlurm(const LocalSlurm&) = delete;
  LocalSlurm& operator=(const LocalSlurm&) = delete;

  const std::string& dir() const { return dir_.path(); }
  // Runs a Slurm client (or any command) with this cluster's SLURM_CONF.
  CommandResult run(const std::vector<std::string>& argv) const;
  // Waits until the job has left squeue (finished for good); false on timeout.
  bool wait_gone(const std::string& job_id, double timeout_s) const;
  // A field of `scontrol show job` ("JobState", "Restarts", "ExitCode"), "" when not found.
  std::string job_field(const std::string& job_id, const std::string& field) const;
  // squeue's job ids (all jobs of this cluster).
  std::vector<std::string> queued_jobs() const;
  // The daemons' logs, for failure messages.
  std::string log_tail() const;

 private:
  TempDir dir_;
};

}  // namespace amnl::test
