#include "orchestrator/rundir/run_lock.h"

#include "common/hostname.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "orchestrator/rundir/ledger.h"

namespace amnl::orch {

namespace {

std::string read_holder(int fd) {
  char buf[1024];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "a session that has not written its name yet";
  auto j = nlohmann::json::parse(std::string(buf, static_cast<size_t>(n)), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "an unnamed session";
  return "session " + j.value("session", std::string("?")) + " (host " + j.value("host", std::string("?")) +
         ", pid " + std::to_string(j.value("pid", 0L)) + ", since " + j.value("since", std::string("?")) + ")";
}

}  // namespace

std::string lock_path(const std::string& run_dir) { return run_dir + "/session.lock"; }

std::string new_session_id() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                      static_cast<uint64_t>(::getpid()));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(gen()));
  return buf;
}

Result<RunDirLock> RunDirLock::acquire(const std::string& run_dir, const std::string& session_id) {
  std::error_code ec;
  std::filesystem::create_directories(run_dir, ec);
  if (ec) return Result<RunDirLock>::Error("run_dir " + run_dir + ": cannot create it: " + ec.message());
  const std::string path = lock_path(run_dir);
  // O_CLOEXEC: a child process (gnuplot for the report) must not inherit, and so keep, the lock.
  // O_NOFOLLOW: a session.lock planted as a link never makes us write elsewhere.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return Result<RunDirLock>::Error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string msg = err == EWOULDBLOCK
                          ? "run dir " + run_dir + " is in use by " + read_holder(fd) +
                                "; a second amnl run on it would train the same jobs twice. Wait for that run to "
                                "end (or stop it), or use another run_dir. Nothing was written."
                          : "cannot lock " + path + ": " + std::strerror(err);
    ::close(fd);
    return Result<RunDirLock>::Error(msg);
  }
  const std::string holder = nlohmann::json{{"session", session_id},
                                            {"host", hostname()},
                                            {"pid", static_cast<long>(::getpid())},
                                            {"since", utc_now_iso()}}
                                 .dump() + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, holder.data(), holder.size(), 0) != static_cast<ssize_t>(holder.size())) {
    const std::string msg = "cannot write " + path + ": " + std::strerror(errno);
    ::close(fd);
    return Result<RunDirLock>::Error(msg);
  }
  return RunDirLock(fd, session_id);
}

RunDirLock::RunDirLock(RunDirLock&& other) noexcept : fd_(other.fd_), session_id_(std::move(other.session_id_)) {
  other.fd_ = -1;
}

RunDirLock& RunDirLock::operator=(RunDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    session_id_ = std::move(other.session_id_);
    other.fd_ = -1;
  }
  return *this;
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace amnl::orch
