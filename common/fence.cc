#include "common/fence.h"

#include <cctype>

namespace amnl {

FenceId make_fence_id(int64_t token, const std::string& session, int attempt) {
  std::string s;
  for (char c : session)
    if (std::isalnum(static_cast<unsigned char>(c)) && s.size() < 8) s += c;
  if (s.empty()) s = "x";
  return FenceId{token, "f" + std::to_string(token) + "-" + s + "-a" + std::to_string(attempt)};
}

std::string fenced_name(const std::string& name, const FenceId& fence) { return name + "." + fence.tag; }

namespace {

bool all_of(std::string_view s, int (*pred)(int)) {
  if (s.empty()) return false;
  for (char c : s)
    if (!pred(static_cast<unsigned char>(c))) return false;
  return true;
}

// "f<digits>-<alnum>-a<digits>" exactly.
std::optional<int64_t> token_of_tag(std::string_view tag) {
  if (tag.size() < 6 || tag[0] != 'f') return std::nullopt;
  const size_t d1 = tag.find('-');
  const size_t d2 = tag.find("-a", d1 == std::string_view::npos ? 0 : d1 + 1);
  if (d1 == std::string_view::npos || d2 == std::string_view::npos) return std::nullopt;
  const std::string_view token = tag.substr(1, d1 - 1), session = tag.substr(d1 + 1, d2 - d1 - 1),
                         attempt = tag.substr(d2 + 2);
  if (token.size() > 18 || !all_of(token, ::isdigit) || !all_of(session, ::isalnum) || !all_of(attempt, ::isdigit))
    return std::nullopt;
  return std::stoll(std::string(token));
}

}  // namespace

std::optional<int64_t> fence_token_in_name(const std::string& name) {
  // A tag is one dot-separated part of the name: "<name>.<tag>" or "MANIFEST.<tag>.json".
  size_t start = 0;
  while (start <= name.size()) {
    const size_t end = std::min(name.find('.', start), name.size());
    if (auto t = token_of_tag(std::string_view(name).substr(start, end - start))) return t;
    start = end + 1;
  }
  return std::nullopt;
}

CommitResult commit_file(Storage& storage, const std::string& path, std::string_view bytes, const FenceId& fence,
                         const std::function<bool()>& still_owner) {
  if (still_owner && !still_owner()) return {Status::Ok(), true};
  if (!fence.fenced()) return {storage.write_atomic(path, bytes), false};
  const std::string staged = fenced_name(path, fence);
  if (Status st = storage.write_atomic(staged, bytes); !st.ok()) return {st, false};
  if (still_owner && !still_owner()) {
    (void)storage.remove(staged);
    return {Status::Ok(), true};
  }
  Status st = storage.link_atomic(staged, path);
  (void)storage.remove(staged);
  // Failed because the new owner removed our staged copy (its clean-up of older tokens): fenced.
  if (!st.ok() && still_owner && !still_owner()) return {Status::Ok(), true};
  return {st, false};
}


Result<std::vector<std::string>> remove_older_fenced_files(Storage& storage, const std::string& dir, int64_t token) {
  std::vector<std::string> removed;
  if (!storage.exists(dir)) return removed;
  auto files = storage.list_files(dir);
  if (!files.ok()) return files.status();
  for (const std::string& f : *files) {
    const auto t = fence_token_in_name(f);
    if (!t || *t >= token) continue;
    AMNL_RETURN_IF_ERROR(storage.remove(dir + "/" + f));
    removed.push_back(dir + "/" + f);
  }
  return removed;
}

}  // namespace amnl
