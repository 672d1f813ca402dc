#include "slurm/slurm_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "integration/orch_helpers.h"

namespace amnl::test {

namespace {

std::string start_script() { return source_dir() + "/slurm/local/start.sh"; }
std::string stop_script() { return source_dir() + "/slurm/local/stop.sh"; }

bool on_path(const std::string& name) {
  return run_command({"sh", "-c", "command -v " + name + " >/dev/null"}).exit_code == 0;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string LocalSlurm::unavailable_reason() {
  if (::geteuid() != 0) return "needs root (slurmd must be root to launch jobs)";
  for (const char* b : {"munged", "slurmctld", "slurmd", "sbatch", "scontrol", "squeue", "mpirun"})
    if (!on_path(b)) return std::string(b) + " is not installed (scripts/install-deps.sh installs slurm-wlm, munge)";
  return "";
}

LocalSlurm::LocalSlurm() {
  // Private state and ports, so that a Slurm of the machine (default ports 6817/6818) is left alone.
  const int base = 21000 + static_cast<int>(::getpid() % 5000) * 2;
  ::setenv("SLURM_LOCAL_DIR", dir_.path().c_str(), 1);
  ::setenv("SLURM_LOCAL_CTLD_PORT", std::to_string(base).c_str(), 1);
  ::setenv("SLURM_LOCAL_SLURMD_PORT", std::to_string(base + 1).c_str(), 1);
  ::setenv("SLURM_LOCAL_CLUSTER", "amnltest", 1);
  // Enough CPUs for a coordinator and a few workers on a 2-core machine.
  ::setenv("SLURM_LOCAL_CPUS", "8", 1);
  ::setenv("SLURM_CONF", (dir_.path() + "/etc/slurm.conf").c_str(), 1);
  // What the jobs need (sbatch passes the environment on): mpirun as root, on more ranks than cores.
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  ::setenv("AMNL_MPIRUN_ARGS", "--oversubscribe", 1);
  ::setenv("AMNL_BIN", amnl_binary().c_str(), 1);
  // Daemons keep inherited descriptors: never let them hold our output pipe.
  const std::string log = dir_.path() + "/start.log";
  auto r = run_command({"sh", "-c", shell_quote(start_script()) + " >" + shell_quote(log) + " 2>&1 </dev/null"});
  if (r.exit_code != 0) {
    const std::string why = read_file(log) + log_tail();
    run_command({"sh", "-c", shell_quote(stop_script()) + " >/dev/null 2>&1 </dev/null"});
    throw std::runtime_error("slurm/local/start.sh failed:\n" + why);
  }
}

LocalSlurm::~LocalSlurm() {
  // Cancels every job (their processes die with them), stops the daemons; TempDir then deletes.
  run_command({"sh", "-c", shell_quote(stop_script()) + " --purge >/dev/null 2>&1 </dev/null"});
}

CommandResult LocalSlurm::run(const std::vector<std::string>& argv) const { return run_command(argv); }

bool LocalSlurm::wait_gone(const std::string& job_id, double timeout_s) const {
  return wait_until(
      [&] {
        auto r = run_command({"squeue", "-h", "-j", job_id, "-o", "%i"});
        return r.exit_code == 0 && r.output.find_first_not_of(" \n") == std::string::npos;
      },
      timeout_s);
}

std::string LocalSlurm::job_field(const std::string& job_id, const std::string& field) const {
  auto r = run_command({"scontrol", "show", "job", job_id});
  std::istringstream in(r.output);
  std::string tok;
  while (in >> tok)
    if (tok.rfind(field + "=", 0) == 0) return tok.substr(field.size() + 1);
  return "";
}

std::vector<std::string> LocalSlurm::queued_jobs() const {
  std::vector<std::string> out;
  std::istringstream in(run_command({"squeue", "-h", "-o", "%i"}).output);
  std::string id;
  while (in >> id) out.push_back(id);
  return out;
}

std::string LocalSlurm::log_tail() const {
  return run_command({"sh", "-c", "tail -n 20 " + shell_quote(dir_.path()) + "/log/*.log 2>&1"}).output;
}

}  // namespace amnl::test
