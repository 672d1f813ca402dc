#include "common/safe_path.h"

#include <filesystem>

namespace amnl {

Status check_plain_name(std::string_view name, std::string_view what) {
  const std::string quoted = "'" + std::string(name) + "'";
  if (name.empty()) return Status::Error(std::string(what) + " is empty");
  if (name.size() > 64) return Status::Error(std::string(what) + " " + quoted + " is longer than 64 characters");
  if (name.front() == '.')
    return Status::Error(std::string(what) + " " + quoted + " must not start with '.' (no '..' or hidden names)");
  for (char c : name) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '-' || c == '.';
    if (!plain)
      return Status::Error(std::string(what) + " " + quoted +
                           " may hold only letters, digits, '_', '-' and '.' (no path separators)");
  }
  return Status::Ok();
}

Result<std::string> child_path(const std::string& root, std::string_view plain_name, std::string_view what) {
  Status st = check_plain_name(plain_name, what);
  if (!st.ok()) return st;
  return (std::filesystem::path(root) / std::string(plain_name)).string();
}

}  // namespace amnl
