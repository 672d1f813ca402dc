#include "orchestrator/ledger.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/checksum.h"

namespace amnl::orch {

std::string utc_now_iso() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string encode_ledger_record(const nlohmann::json& record) {
  // dump() escapes control characters, so a record never contains a raw newline.
  const std::string body = record.dump();
  return crc32_hex(body) + " " + body + "\n";
}

LedgerReplay decode_ledger(const std::string& bytes) {
  LedgerReplay out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < bytes.size()) {
    ++line_no;
    const size_t nl = bytes.find('\n', pos);
    if (nl == std::string::npos) {
      out.truncated = true;
      out.problem = "record " + std::to_string(line_no) + " is torn (no end of line)";
      break;
    }
    const std::string line = bytes.substr(pos, nl - pos);
    if (line.size() < 10 || line[8] != ' ') {
      out.truncated = true;
      out.problem = "record " + std::to_string(line_no) + " is malformed";
      break;
    }
    const std::string body = line.substr(9);
    if (crc32_hex(body) != line.substr(0, 8)) {
      out.truncated = true;
      out.problem = "record " + std::to_string(line_no) + " fails its checksum";
      break;
    }
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      out.truncated = true;
      out.problem = "record " + std::to_string(line_no) + " is not a JSON object";
      break;
    }
    out.records.push_back(std::move(j));
    pos = nl + 1;
    out.valid_bytes = pos;
  }
  return out;
}

Ledger::Ledger(std::shared_ptr<Storage> storage, std::string path)
    : storage_(std::move(storage)), path_(std::move(path)) {}

Result<LedgerReplay> Ledger::replay() {
  if (!storage_->exists(path_)) return LedgerReplay{};
  auto bytes = storage_->read(path_);
  if (!bytes) return bytes.status().with_context("reading ledger");
  LedgerReplay r = decode_ledger(*bytes);
  if (r.truncated) {
    spdlog::warn("ledger {}: {}; keeping the {} valid records before it ({} bytes dropped)", path_,
                 r.problem, r.records.size(), bytes->size() - r.valid_bytes);
    Status st = storage_->write_atomic(path_, std::string_view(*bytes).substr(0, r.valid_bytes));
    if (!st.ok()) return st.with_context("rewriting ledger to its valid prefix");
  }
  return r;
}

Status Ledger::append(nlohmann::json record) {
  record["time"] = utc_now_iso();
  return storage_->append(path_, encode_ledger_record(record)).with_context("appending to ledger");
}

}  // namespace amnl::orch
