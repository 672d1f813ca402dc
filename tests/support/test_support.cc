#include "support/test_support.h"

#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/cmapss/synth.h"

namespace amnl::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/amnl-test-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!std::getenv("AMNL_KEEP_TEST_DIRS")) std::filesystem::remove_all(path_, ec);
}

SmallDisk::SmallDisk(size_t bytes) {
  const std::string opts = "size=" + std::to_string(bytes);
  if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, opts.c_str()) == 0) {
    mounted_ = true;
  } else {
    why_ = std::string("cannot mount a tmpfs (needs root and mount rights): ") + std::strerror(errno);
  }
}

SmallDisk::~SmallDisk() {
  if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
}

void SmallDisk::fill(size_t leave_free) {
  struct statvfs vfs {};
  if (::statvfs(dir_.path().c_str(), &vfs) != 0) return;
  const uint64_t avail = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (avail <= leave_free) return;
  std::ofstream out(dir_ / ".ballast", std::ios::binary | std::ios::app);
  const std::string block(4096, 'b');
  for (uint64_t left = avail - leave_free; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, block.size()));
    if (!out.write(block.data(), static_cast<std::streamsize>(n)) || !out.flush()) break;
    left -= n;
  }
}

void SmallDisk::release() {
  std::error_code ec;
  std::filesystem::remove(dir_ / ".ballast", ec);
}

namespace {
std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}
}  // namespace

std::string amnl_binary() { return env_or("AMNL_BIN", AMNL_DEFAULT_BIN); }

std::string source_dir() { return env_or("AMNL_SOURCE_DIR", AMNL_DEFAULT_SOURCE_DIR); }

std::string cmapss_dir() {
  const std::string dir = env_or("AMNL_CMAPSS_DIR", AMNL_DEFAULT_CMAPSS_DIR);
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/train_FD001.txt", ec)) return "";
  return dir;
}

CommandResult run_command(const std::vector<std::string>& argv) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::_Exit(127);
  }
  ::close(pipefd[1]);
  CommandResult result;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) result.output.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return result;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string write_synthetic_cmapss(const std::string& dir, const std::string& name, int units, uint64_t seed) {
  data::SynthOptions o;
  o.dataset_name = name;
  o.units = units;
  o.seed = seed;
  auto files = data::write_synthetic_dataset(dir, o);
  return files.ok() ? "" : files.message();
}

}  // namespace amnl::test
