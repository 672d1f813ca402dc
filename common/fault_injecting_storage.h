#pragma once
// A Storage wrapper for tests: makes chosen operations fail, tears writes and appends at a byte
// count (as a crash or a lying disk would), stalls a chosen operation until released (as an NFS
// client stalls a writer on a hung server, a SIGSTOP or a VM pause), and counts operations.
// Thread-safe.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/storage.h"

namespace amnl {

class FaultInjectingStorage final : public Storage {
 public:
  explicit FaultInjectingStorage(std::shared_ptr<Storage> inner) : inner_(std::move(inner)) {}

  // The next `n` mutating operations (write_atomic, append, remove, make_dirs) fail with an
  // IOError, as EIO would make them.
  void fail_next_mutations(int n);
  // The next write_atomic leaves only the first `keep_bytes` bytes at the final path, as a
  // file system that lost the tail despite the rename would; the call still reports success.
  void tear_next_write(size_t keep_bytes);
  // The next append writes only its first `keep_bytes` bytes and then reports an error, as a
  // process killed in the middle of a journal write would leave it (an IOError).
  void tear_next_append(size_t keep_bytes);
  // While set, every append fails with NoSpace (a full disk, EDQUOT) and leaves the file
  // unchanged, as the real append promises; clearing it brings the space back.
  void set_appends_failing(bool failing);
  int mutation_count() const;
  // From now on every read and listing of a path that contains `path_part` fails with an error
  // (EIO on a failing disk, a stale NFS handle); exists() still says the file is there.
  void fail_reads_of(const std::string& path_part);

  // Stalls the next mutating operation `op` ("write", "append", "remove", "mkdir", "link") whose
  // path contains `path_part`: the calling thread blocks before anything reaches the disk, and
  // the operation completes as asked once release_held() is called. Other operations go on.
  void hold_next(const std::string& op, const std::string& path_part);
  // Waits until a caller is blocked in the held operation; false when none came within `timeout`.
  bool wait_until_held(std::chrono::milliseconds timeout);
  // Lets the held operation (if any) go on, and cancels a hold nobody reached yet.
  void release_held();

  Status write_atomic(const std::string& path, std::string_view bytes) override;
  Status append(const std::string& path, std::string_view bytes) override;
  Result<std::string> read(const std::string& path) const override;
  bool exists(const std::string& path) const override;
  Result<std::vector<std::string>> list_files(const std::string& dir) const override;
  Status remove(const std::string& path) override;
  Status make_dirs(const std::string& dir) override;
  Status link_atomic(const std::string& from, const std::string& to) override;

 private:
  bool take_failure(const char* op, const std::string& path, Status* out);
  bool read_fails(const std::string& path) const;
  void stall_if_held(const char* op, const std::string& path);

  std::shared_ptr<Storage> inner_;
  mutable std::mutex mu_;
  int fail_next_ = 0;
  std::optional<size_t> tear_write_;
  std::optional<size_t> tear_append_;
  bool appends_failing_ = false;
  int mutations_ = 0;
  std::vector<std::string> failing_reads_;  // path parts whose reads fail
  struct Hold {
    std::string op, path_part;
    bool reached = false, released = false;
  };
  std::optional<Hold> hold_;
  std::condition_variable hold_cv_;
};

}  // namespace amnl
