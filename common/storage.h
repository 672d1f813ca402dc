#pragma once
// The one storage seam: every durable write of checkpoints, manifests, the ledger and results
// goes through a Storage, so that tests can inject torn writes, failures and crashes
// (FaultInjectingStorage) and every implementation is held to one conformance suite.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace amnl {

// Errors carry a code (common/status.h) that callers may branch on: NotFound when the path (or
// a directory on it) does not exist, NoSpace when the disk or quota is full, IOError for any
// other refusal of the operating system. A read that may find nothing reads and treats
// IsNotFound() as absent, rather than asking exists() first: nothing can come between.
class Storage {
 public:
  virtual ~Storage() = default;

  // Replaces `path` with `bytes` so that a crash at any moment leaves either the old or the new
  // content: temporary file in the same directory, write, fsync, rename, fsync of the directory.
  virtual Status write_atomic(const std::string& path, std::string_view bytes) = 0;

  // Appends `bytes` to `path` (created if absent) and fsyncs before returning: a journal append.
  // All or nothing: on failure the file is left as it was before the call (or the error says
  // that undoing the partial write failed too).
  virtual Status append(const std::string& path, std::string_view bytes) = 0;

  // NotFound when `path` does not exist; IOError for a directory, FIFO or device.
  virtual Result<std::string> read(const std::string& path) const = 0;
  virtual bool exists(const std::string& path) const = 0;
  // Plain file names (not paths) of the regular files directly inside `dir`, sorted.
  virtual Result<std::vector<std::string>> list_files(const std::string& dir) const = 0;
  virtual Status remove(const std::string& path) = 0;
  // mkdir -p, with an fsync of each parent whose entries changed.
  virtual Status make_dirs(const std::string& dir) = 0;

  // Gives the file `from` the second name `to`, replacing whatever `to` was in one step: a hard
  // link under a temporary name, rename onto `to`, fsync of the directory. Later writes of `from`
  // (write_atomic makes a new file) do not change `to`. Where the file system has no hard links,
  // `to` becomes an atomic copy of `from`. Fenced commits publish user-visible names this way
  // (worker/checkpoint_store.h).
  virtual Status link_atomic(const std::string& from, const std::string& to) = 0;
};

// write_atomic's temporary files are named "<path><kTemporaryMarker><pid>.<n>"; a process killed
// mid-write leaves one behind, which is_temporary_name() recognises for cleanup.
inline constexpr const char* kTemporaryMarker = ".tmp.";
std::string temporary_name(const std::string& path, unsigned serial);
bool is_temporary_name(const std::string& file_name);

// The real file system.
std::shared_ptr<Storage> make_posix_storage();

}  // namespace amnl
