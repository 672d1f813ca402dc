#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/storage.h"

namespace amnl {
namespace {

namespace fs = std::filesystem;

// The code callers branch on, from the errno of a failed call. ENOTDIR counts as not found, as
// exists() (std::filesystem) counts it: a file below a path component that is no directory is
// absent. A quota is a full disk to the writer.
StatusCode code_of_errno(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR: return StatusCode::kNotFound;
    case ENOSPC:
    case EDQUOT: return StatusCode::kNoSpace;
    default: return StatusCode::kIOError;
  }
}

// "<what> <path>: <strerror>" with the code of errno; read errno before any other call.
Status errno_error(const std::string& what, const std::string& path) {
  const int error = errno;
  return Status::WithCode(code_of_errno(error), what + " " + path + ": " + std::strerror(error));
}

// The same for the std::error_code of a std::filesystem call.
Status error_code_error(const std::string& what, const std::string& path, const std::error_code& ec) {
  const StatusCode code = ec.category() == std::generic_category() || ec.category() == std::system_category()
                              ? code_of_errno(ec.value())
                              : StatusCode::kIOError;
  return Status::WithCode(code, what + " " + path + ": " + ec.message());
}

Status write_all(int fd, std::string_view bytes, const std::string& path) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot write", path);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

std::string temporary_name(const std::string& path, unsigned serial) {
  return path + kTemporaryMarker + std::to_string(::getpid()) + "." + std::to_string(serial);
}

bool is_temporary_name(const std::string& name) { return name.find(kTemporaryMarker) != std::string::npos; }

namespace {

Status fsync_dir(const fs::path& dir) {
  const std::string d = dir.empty() ? "." : dir.string();
  int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return errno_error("cannot open directory", d);
  int rc = ::fsync(fd);
  if (::close(fd) != 0 && rc == 0) rc = -1;
  if (rc != 0) return errno_error("cannot fsync directory", d);
  return Status::Ok();
}

class PosixStorage final : public Storage {
 public:
  Status write_atomic(const std::string& path, std::string_view bytes) override {
    static std::atomic<unsigned> counter{0};
    const fs::path target(path);
    const std::string tmp = temporary_name(path, counter.fetch_add(1));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno_error("cannot create", tmp);
    Status st = write_all(fd, bytes, tmp);
    if (st.ok() && ::fsync(fd) != 0) st = errno_error("cannot fsync", tmp);
    // NFS reports some write errors only at close(): an unchecked close can hide a lost write.
    if (::close(fd) != 0 && st.ok()) st = errno_error("cannot close", tmp);
    if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
      st = errno_error("cannot rename to", path);
    if (!st.ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
    return fsync_dir(target.parent_path());
  }

  // All or nothing: a failed write or fsync (ENOSPC, EIO, EDQUOT) truncates the file back to its
  // length before the call, so a journal never keeps half a record followed by the next one on
  // the same line. A file this call creates is durable only once its directory is synced.
  Status append(const std::string& path, std::string_view bytes) override {
    const bool existed = fs::exists(path);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return errno_error("cannot open for append", path);
    struct stat before {};
    if (::fstat(fd, &before) != 0) {
      Status st = errno_error("cannot stat", path);
      ::close(fd);
      return st;
    }
    Status st = write_all(fd, bytes, path);
    if (st.ok() && ::fsync(fd) != 0) st = errno_error("cannot fsync", path);
    if (!st.ok()) {
      if (::ftruncate(fd, before.st_size) != 0 || ::fsync(fd) != 0)
        st = Status::WithCode(st.code(), st.message() + "; and the partial append could not be undone (" +
                                               std::strerror(errno) + ")");
    }
    if (::close(fd) != 0 && st.ok()) st = errno_error("cannot close", path);
    if (st.ok() && !existed) st = fsync_dir(fs::path(path).parent_path());
    return st;
  }

  // Regular files only: a FIFO or device planted where a run file belongs (outcome.json, the
  // ledger, a manifest) would block the reader for ever or never end, and a directory would read
  // as an empty file. O_NONBLOCK keeps the open itself from waiting on a FIFO's writer.
  Result<std::string> read(const std::string& path) const override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno_error("cannot open", path);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const Status error = errno_error("cannot stat", path);
      ::close(fd);
      return error;
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return Status::IOError("cannot read " + path + ": not a regular file (" +
                             (S_ISDIR(st.st_mode) ? "a directory" : "a FIFO, socket or device") + ")");
    }
    std::string bytes;
    bytes.reserve(static_cast<size_t>(st.st_size));
    char chunk[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        const Status error = errno_error("cannot read", path);
        ::close(fd);
        return error;
      }
      bytes.append(chunk, static_cast<size_t>(n));
    }
    ::close(fd);
    return bytes;
  }

  bool exists(const std::string& path) const override {
    std::error_code ec;
    return fs::exists(path, ec);
  }

  Result<std::vector<std::string>> list_files(const std::string& dir) const override {
    std::error_code ec;
    std::vector<std::string> names;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec)) names.push_back(it->path().filename().string());
    }
    if (ec) return error_code_error("cannot list", dir, ec);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status remove(const std::string& path) override {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) return error_code_error("cannot remove", path, ec);
    return Status::Ok();
  }

  Status link_atomic(const std::string& from, const std::string& to) override {
    static std::atomic<unsigned> counter{0};
    const std::string tmp = temporary_name(to, counter.fetch_add(1));
    if (::link(from.c_str(), tmp.c_str()) != 0) {
      // No hard links here (some FUSE and SMB mounts): an atomic copy serves the same readers.
      if (errno == EPERM || errno == EOPNOTSUPP || errno == EXDEV || errno == EMLINK) {
        auto bytes = read(from);
        if (!bytes.ok()) return bytes.status();
        return write_atomic(to, *bytes);
      }
      return errno_error("cannot link " + from + " to", tmp);
    }
    if (::rename(tmp.c_str(), to.c_str()) != 0) {
      Status st = errno_error("cannot rename to", to);
      ::unlink(tmp.c_str());
      return st;
    }
    return fsync_dir(fs::path(to).parent_path());
  }

  Status make_dirs(const std::string& dir) override {
    std::error_code ec;
    fs::path p = fs::absolute(dir, ec);
    if (fs::is_directory(p, ec)) return Status::Ok();
    // Remember which directories are new, so that exactly their parents get an fsync.
    std::vector<fs::path> created;
    for (fs::path cur = p; !cur.empty() && !fs::exists(cur, ec); cur = cur.parent_path()) {
      created.push_back(cur);
      if (cur == cur.parent_path()) break;
    }
    fs::create_directories(p, ec);
    if (ec) return error_code_error("cannot create directory", dir, ec);
    for (const fs::path& d : created) AMNL_RETURN_IF_ERROR(fsync_dir(d.parent_path()));
    return Status::Ok();
  }
};

}  // namespace

std::shared_ptr<Storage> make_posix_storage() { return std::make_shared<PosixStorage>(); }

}  // namespace amnl
