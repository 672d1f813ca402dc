#pragma once
// Errors on I/O and parsing paths are values with messages, not exceptions: a bad file must
// never crash the coordinator, and the caller decides whether it is fatal.
//
// Each error carries a code besides its message, so that callers branch on the code, never on
// the text: a read that may find nothing checks IsNotFound() (and needs no exists() before it,
// which would race with a writer or a clean-up). Status::Error(msg) gives kUnknown, for errors
// nobody branches on.
#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace amnl {

enum class StatusCode {
  kOk,
  kUnknown,          // an error whose maker named no code (Status::Error)
  kNotFound,         // the file (or a directory on its path) does not exist
  kCorruption,       // the bytes are there but damaged: torn, wrong checksum, not parseable
  kInvalidArgument,  // a value (a config key, a command-line option) is out of its domain
  kIOError,          // the operating system refused or failed the operation
  kNoSpace,          // the disk or the quota is full (ENOSPC, EDQUOT): space may come back
};

// "ok", "not found", ...: for logs and test failure messages.
inline const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kUnknown: return "error";
    case StatusCode::kNotFound: return "not found";
    case StatusCode::kCorruption: return "corruption";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kIOError: return "I/O error";
    case StatusCode::kNoSpace: return "no space";
  }
  return "?";
}

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(StatusCode::kUnknown, std::move(message)); }
  static Status NotFound(std::string message) { return Status(StatusCode::kNotFound, std::move(message)); }
  static Status Corruption(std::string message) { return Status(StatusCode::kCorruption, std::move(message)); }
  static Status InvalidArgument(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
  }
  static Status IOError(std::string message) { return Status(StatusCode::kIOError, std::move(message)); }
  static Status NoSpace(std::string message) { return Status(StatusCode::kNoSpace, std::move(message)); }
  // `code` must not be kOk: an error needs a code that says so.
  static Status WithCode(StatusCode code, std::string message) {
    assert(code != StatusCode::kOk);
    return Status(code, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return ok(); }
  StatusCode code() const { return code_; }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsCorruption() const { return code_ == StatusCode::kCorruption; }
  bool IsInvalidArgument() const { return code_ == StatusCode::kInvalidArgument; }
  bool IsIOError() const { return code_ == StatusCode::kIOError; }
  bool IsNoSpace() const { return code_ == StatusCode::kNoSpace; }
  const std::string& message() const {
    static const std::string kOkText = "ok";
    return ok() ? kOkText : message_;
  }
  // Prefixes context ("reading foo.txt: ") to an error, keeping its code; no-op on success.
  Status with_context(const std::string& context) const {
    return ok() ? *this : Status(code_, context + ": " + message_);
  }

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : error_(std::move(error)) { assert(!error_.ok()); }  // NOLINT
  static Result Error(std::string message) { return Result(Status::Error(std::move(message))); }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Status& status() const { return error_; }
  const std::string& message() const { return error_.message(); }
  StatusCode code() const { return error_.code(); }
  bool IsNotFound() const { return error_.IsNotFound(); }

  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::optional<T> value_;
  Status error_;
};

}  // namespace amnl

// Early-return helpers for functions returning Status or Result<T>.
#define AMNL_RETURN_IF_ERROR(expr)          \
  do {                                      \
    ::amnl::Status amnl_status_ = (expr);   \
    if (!amnl_status_.ok()) return amnl_status_; \
  } while (0)
