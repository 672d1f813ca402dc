#pragma once
// The run's journal (<run_dir>/ledger.jsonl): one record per line, "<crc32 hex> <json>\n", each
// appended (and fsynced) through Storage::append by the coordinator alone. A crash at any byte
// leaves a readable prefix: replay stops at the first torn or corrupt record, logs it, and
// rewrites the file to the valid prefix so that later appends follow a clean line.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/storage.h"

namespace amnl::orch {

// One journal line for `record` (with its newline).
std::string encode_ledger_record(const nlohmann::json& record);

struct LedgerReplay {
  std::vector<nlohmann::json> records;  // the valid prefix, in order
  bool truncated = false;               // a torn or corrupt tail was found (and dropped)
  std::string problem;                  // what was wrong with the first bad record
  size_t valid_bytes = 0;               // length of the valid prefix
};
// Decodes journal bytes; never fails (a bad record ends the prefix).
LedgerReplay decode_ledger(const std::string& bytes);

class Ledger {
 public:
  Ledger(std::shared_ptr<Storage> storage, std::string path);
  // Reads the journal (missing = empty). If its tail was torn or corrupt, logs it and rewrites the
  // file atomically to the valid prefix.
  Result<LedgerReplay> replay();
  // Adds "time" (UTC, ISO 8601) and appends. Durable when it returns Ok.
  Status append(nlohmann::json record);
  const std::string& path() const { return path_; }

 private:
  std::shared_ptr<Storage> storage_;
  std::string path_;
};

// Wall-clock UTC timestamp with milliseconds, for records and outcome files.
std::string utc_now_iso();

}  // namespace amnl::orch
