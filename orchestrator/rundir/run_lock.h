#pragma once
// A run directory belongs to one live session. Two `amnl run` on the same run dir (a double
// submit, a requeue racing the original) would both reassign the same jobs and train each one
// twice, so rank 0 takes <run_dir>/session.lock before it writes anything. The lock is an
// flock(2) held by the open file: it dies with the process (kill -9, node loss), so a dead
// session never blocks its rerun. The file names the holder (session id, host, pid, since) for
// the refusal message; the content is only information, the kernel lock is the truth.
//
// flock works on local file systems and on NFSv4 (Linux maps it to a byte-range lock). On file
// systems without working locks, run one session per run dir by other means (slurm/README.md).
#include <string>

#include "common/status.h"

namespace amnl::orch {

// A random id that tells sessions of one run dir apart (written to leases and the ledger).
std::string new_session_id();

class RunDirLock {
 public:
  // Creates <run_dir> if needed (nothing else) and takes the lock without waiting. When another
  // live session holds it, the error names the holder and nothing is written.
  static Result<RunDirLock> acquire(const std::string& run_dir, const std::string& session_id);

  RunDirLock(RunDirLock&& other) noexcept;
  RunDirLock& operator=(RunDirLock&& other) noexcept;
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;
  ~RunDirLock();  // releases the lock

  const std::string& session_id() const { return session_id_; }

 private:
  RunDirLock(int fd, std::string session_id) : fd_(fd), session_id_(std::move(session_id)) {}
  int fd_ = -1;
  std::string session_id_;
};

std::string lock_path(const std::string& run_dir);

}  // namespace amnl::orch
