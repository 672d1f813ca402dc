#include "common/fault_injecting_storage.h"

namespace amnl {

void FaultInjectingStorage::fail_next_mutations(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = n;
}
void FaultInjectingStorage::tear_next_write(size_t keep_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  tear_write_ = keep_bytes;
}
void FaultInjectingStorage::tear_next_append(size_t keep_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  tear_append_ = keep_bytes;
}
void FaultInjectingStorage::set_appends_failing(bool failing) {
  std::lock_guard<std::mutex> lock(mu_);
  appends_failing_ = failing;
}
int FaultInjectingStorage::mutation_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mutations_;
}

void FaultInjectingStorage::hold_next(const std::string& op, const std::string& path_part) {
  std::lock_guard<std::mutex> lock(mu_);
  hold_ = Hold{op, path_part};
}

bool FaultInjectingStorage::wait_until_held(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return hold_cv_.wait_for(lock, timeout, [&] { return hold_ && hold_->reached; });
}

void FaultInjectingStorage::release_held() {
  std::lock_guard<std::mutex> lock(mu_);
  if (hold_) hold_->released = true;
  if (hold_ && !hold_->reached) hold_.reset();
  hold_cv_.notify_all();
}

void FaultInjectingStorage::stall_if_held(const char* op, const std::string& path) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!hold_ || hold_->reached || hold_->op != op || path.find(hold_->path_part) == std::string::npos) return;
  hold_->reached = true;
  hold_cv_.notify_all();
  hold_cv_.wait(lock, [&] { return hold_->released; });
  hold_.reset();
}

bool FaultInjectingStorage::take_failure(const char* op, const std::string& path, Status* out) {
  std::lock_guard<std::mutex> lock(mu_);
  ++mutations_;
  if (fail_next_ <= 0) return false;
  --fail_next_;
  *out = Status::IOError(std::string("injected failure: ") + op + " " + path);
  return true;
}

Status FaultInjectingStorage::write_atomic(const std::string& path, std::string_view bytes) {
  Status st;
  if (take_failure("write", path, &st)) return st;
  stall_if_held("write", path);
  std::optional<size_t> tear;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tear.swap(tear_write_);
  }
  if (tear) return inner_->write_atomic(path, bytes.substr(0, std::min(*tear, bytes.size())));
  return inner_->write_atomic(path, bytes);
}

Status FaultInjectingStorage::append(const std::string& path, std::string_view bytes) {
  Status st;
  if (take_failure("append", path, &st)) return st;
  stall_if_held("append", path);
  std::optional<size_t> tear;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (appends_failing_) return Status::NoSpace("injected failure: append " + path + ": No space left on device");
    tear.swap(tear_append_);
  }
  if (tear) {
    AMNL_RETURN_IF_ERROR(inner_->append(path, bytes.substr(0, std::min(*tear, bytes.size()))));
    return Status::IOError("injected torn append: " + path);
  }
  return inner_->append(path, bytes);
}

void FaultInjectingStorage::fail_reads_of(const std::string& path_part) {
  std::lock_guard<std::mutex> lock(mu_);
  failing_reads_.push_back(path_part);
}

bool FaultInjectingStorage::read_fails(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& part : failing_reads_)
    if (path.find(part) != std::string::npos) return true;
  return false;
}

Result<std::string> FaultInjectingStorage::read(const std::string& path) const {
  if (read_fails(path)) return Status::IOError("injected read failure: " + path + ": Input/output error");
  return inner_->read(path);
}
bool FaultInjectingStorage::exists(const std::string& path) const { return inner_->exists(path); }
Result<std::vector<std::string>> FaultInjectingStorage::list_files(const std::string& dir) const {
  if (read_fails(dir))
    return Status::IOError("injected read failure: cannot list " + dir + ": Input/output error");
  return inner_->list_files(dir);
}
Status FaultInjectingStorage::remove(const std::string& path) {
  Status st;
  if (take_failure("remove", path, &st)) return st;
  stall_if_held("remove", path);
  return inner_->remove(path);
}
Status FaultInjectingStorage::make_dirs(const std::string& dir) {
  Status st;
  if (take_failure("mkdir", dir, &st)) return st;
  stall_if_held("mkdir", dir);
  return inner_->make_dirs(dir);
}
Status FaultInjectingStorage::link_atomic(const std::string& from, const std::string& to) {
  Status st;
  if (take_failure("link", to, &st)) return st;
  stall_if_held("link", to);
  return inner_->link_atomic(from, to);
}

}  // namespace amnl
