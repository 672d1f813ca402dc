#pragma once
// Helpers shared by every test suite: temporary directories, the amnl binary, real data.
#include <cstdint>
#include <string>
#include <vector>

namespace amnl::test {

// A fresh directory under $TMPDIR (or /tmp), removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A small tmpfs of `bytes` mounted on a fresh directory, to fill a disk for real (ENOSPC).
// Needs root and mount rights; ok() says whether it could be mounted (tests skip otherwise,
// with why()). Unmounted when the object dies.
class SmallDisk {
 public:
  explicit SmallDisk(size_t bytes);
  ~SmallDisk();
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  bool ok() const { return mounted_; }
  const std::string& why() const { return why_; }
  const std::string& path() const { return dir_.path(); }
  std::string operator/(const std::string& name) const { return dir_ / name; }
  // Fills the disk with a ballast file, leaving about `leave_free` bytes (page-rounded) free;
  // release() deletes it (space again).
  void fill(size_t leave_free = 0);
  void release();

 private:
  TempDir dir_;
  bool mounted_ = false;
  std::string why_;
};

// $AMNL_BIN: the amnl executable under test.
std::string amnl_binary();
// $AMNL_SOURCE_DIR: the project's source tree (examples/, scripts/).
std::string source_dir();
// $AMNL_CMAPSS_DIR if it holds train_FD001.txt, else "" (tests then GTEST_SKIP with a message).
std::string cmapss_dir();

struct CommandResult {
  int exit_code = -1;  // -signal when killed by a signal
  std::string output;  // stdout and stderr together
};
// Runs `argv` (argv[0] looked up in PATH) and waits; output captured.
CommandResult run_command(const std::vector<std::string>& argv);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

// Writes the synthetic C-MAPSS files {train,test,RUL}_<name>.txt of `units` units drawn from
// `seed` (common/cmapss/synth.h) into `dir`; "" when written, else why not.
std::string write_synthetic_cmapss(const std::string& dir, const std::string& name, int units, uint64_t seed);

}  // namespace amnl::test
