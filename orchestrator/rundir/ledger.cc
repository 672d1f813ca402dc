#include "orchestrator/rundir/ledger.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cctype>
#include <cstdio>
#include <optional>
#include <string_view>
#include <ctime>

#include "common/checksum.h"
#include "common/json_fields.h"
#include "orchestrator/protocol/record_fields.h"

namespace amnl::orch {

std::string encode_ledger_record(const nlohmann::json& record) {
  // dump() escapes control characters, so a record never contains a raw newline; invalid UTF-8
  // (a non-UTF-8 path or data bytes in a reason) is replaced, where plain dump() would throw.
  const std::string body = dump_lossy(record);
  return crc32_hex(body) + " " + body + "\n";
}

namespace {

// A whole record "<8 hex crc> <json object>" whose checksum matches, or nothing.
std::optional<nlohmann::json> decode_record(std::string_view line, std::string* problem) {
  if (line.size() < 10 || line[8] != ' ') {
    *problem = "is malformed";
    return std::nullopt;
  }
  const std::string body(line.substr(9));
  if (crc32_hex(body) != line.substr(0, 8)) {
    *problem = "fails its checksum";
    return std::nullopt;
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *problem = "is not a JSON object";
    return std::nullopt;
  }
  // The coordinator reads a record's fields with json::value(), which throws on a wrong type.
  if (const std::string bad = mistyped_field(j); !bad.empty()) {
    *problem = "has a mistyped " + bad;
    return std::nullopt;
  }
  return j;
}

bool is_hex8(std::string_view s) {
  if (s.size() < 8) return false;
  for (size_t i = 0; i < 8; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

// A damaged line may still end with a whole record: an append that failed half-way used to be
// followed by the next record on the same line. Returns the longest valid record suffix.
std::optional<std::pair<size_t, nlohmann::json>> valid_suffix(std::string_view line) {
  std::string ignored;
  for (size_t at = 1; at + 10 <= line.size(); ++at) {
    if (line[at + 8] != ' ' || !is_hex8(line.substr(at))) continue;
    if (auto j = decode_record(line.substr(at), &ignored)) return std::make_pair(at, std::move(*j));
  }
  return std::nullopt;
}

}  // namespace

LedgerReplay decode_ledger(const std::string& bytes) {
  LedgerReplay out;
  out.ends_clean = bytes.empty() || bytes.back() == '\n';
  size_t pos = 0;
  int line_no = 0;
  auto damaged = [&](const std::string& what, size_t n) {
    ++out.damaged_lines;
    out.skipped_bytes += n;
    if (!out.truncated) out.problem = "line " + std::to_string(line_no) + " " + what;
    out.truncated = true;
  };
  while (pos < bytes.size()) {
    ++line_no;
    size_t nl = bytes.find('\n', pos);
    const bool torn = nl == std::string::npos;
    if (torn) nl = bytes.size();
    const std::string_view line(bytes.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;  // a separator written after damage
    std::string problem;
    if (!torn) {
      if (auto j = decode_record(line, &problem)) {
        out.records.push_back(std::move(*j));
        continue;
      }
    } else {
      problem = "is torn (no end of line)";
    }
    if (auto tail = torn ? std::nullopt : valid_suffix(line)) {
      damaged(problem + "; kept the whole record after its first " + std::to_string(tail->first) + " bytes",
              tail->first);
      out.records.push_back(std::move(tail->second));
    } else {
      damaged(problem, line.size());
    }
  }
  return out;
}

Ledger::Ledger(std::shared_ptr<Storage> storage, std::string path)
    : storage_(std::move(storage)), path_(std::move(path)) {}

Result<LedgerReplay> Ledger::replay() {
  auto bytes = storage_->read(path_);
  if (bytes.IsNotFound()) return LedgerReplay{};  // a new run
  if (!bytes) return bytes.status().with_context("reading ledger");
  LedgerReplay r = decode_ledger(*bytes);
  if (r.truncated)
    spdlog::warn("ledger {}: {} damaged line(s), {} bytes skipped (first: {}); all {} valid records kept", path_,
                 r.damaged_lines, r.skipped_bytes, r.problem, r.records.size());
  tail_may_be_dirty_ = !r.ends_clean;
  return r;
}

Status Ledger::append(nlohmann::json record) {
  record["time"] = utc_now_iso();
  std::string line = encode_ledger_record(record);
  if (tail_may_be_dirty_) line.insert(0, "\n");
  Status st = storage_->append(path_, line).with_context("appending to ledger");
  // Storage undoes a failed append, but the undo itself may have failed: start clean next time.
  tail_may_be_dirty_ = !st.ok();
  return st;
}

}  // namespace amnl::orch
