#include "common/safe_path.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

namespace amnl {

namespace fs = std::filesystem;

std::string printable(std::string_view s, size_t max) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) return out + "...' (" + std::to_string(s.size()) + " bytes)";
  return out + "'";
}

Status check_plain_name(std::string_view name, std::string_view what) {
  const std::string quoted = printable(name);
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
  return (fs::path(root) / std::string(plain_name)).string();
}

namespace {

bool is_within(const fs::path& inner, const fs::path& outer) {
  const fs::path rel = inner.lexically_relative(outer);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

Status check_stays_inside(const std::string& root, const std::string& path) {
  std::error_code ec;
  const fs::path abs_root = fs::absolute(root, ec).lexically_normal();
  if (ec) return Status::Error("cannot resolve " + root + ": " + ec.message());
  const fs::path abs_path = fs::absolute(path, ec).lexically_normal();
  if (ec) return Status::Error("cannot resolve " + path + ": " + ec.message());
  if (!is_within(abs_path, abs_root))
    return Status::Error(path + " is outside " + root + "; refusing to write there");
  // The root itself may be a link (run dirs on shared storage often are): compare real paths.
  const fs::path real_root = fs::weakly_canonical(abs_root, ec);
  if (ec) return Status::Error("cannot resolve " + root + ": " + ec.message());
  fs::path at = abs_root;
  for (const fs::path& part : abs_path.lexically_relative(abs_root)) {
    if (part == ".") continue;
    at /= part;
    struct stat st {};
    if (::lstat(at.c_str(), &st) != 0) break;  // not there yet: created as a real directory
    if (!S_ISLNK(st.st_mode)) continue;
    std::error_code link_ec;
    const fs::path target = fs::read_symlink(at, link_ec);
    const fs::path real = fs::weakly_canonical(at, link_ec);
    if (link_ec || !is_within(real, real_root))
      return Status::Error(at.string() + " is a symbolic link to " + (link_ec ? target.string() : real.string()) +
                           ", outside " + root + "; refusing to write through it");
  }
  return Status::Ok();
}

}  // namespace amnl
