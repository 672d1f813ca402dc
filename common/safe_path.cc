#include "common/safe_path.h"

#include <sys/stat.h>

#include <cstdint>
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

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;  // a sequence cut off by the end
    for (size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF are invalid.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n + 1;
  }
  return true;
}

Status check_path_text(std::string_view path, std::string_view what) {
  const std::string w(what);
  if (path.empty()) return Status::Error(w + " is empty");
  if (path.size() > 4096) return Status::Error(w + " " + printable(path) + " is longer than 4096 bytes");
  for (char c : path)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return Status::Error(w + " " + printable(path) + " holds a control character");
  if (!is_valid_utf8(path)) return Status::Error(w + " " + printable(path) + " is not valid UTF-8");
  return Status::Ok();
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
    // Resolve the link's own target: weakly_canonical(at) stops at a dangling link, which a
    // write would still follow (creating the target).
    std::error_code link_ec;
    fs::path target = fs::read_symlink(at, link_ec);
    if (!link_ec && target.is_relative()) target = at.parent_path() / target;
    const fs::path real = link_ec ? fs::path() : fs::weakly_canonical(target, link_ec);
    if (link_ec || !is_within(real, real_root))
      return Status::Error(at.string() + " is a symbolic link to " + (link_ec ? target.string() : real.string()) +
                           ", outside " + root + "; refusing to write through it");
  }
  return Status::Ok();
}

}  // namespace amnl
