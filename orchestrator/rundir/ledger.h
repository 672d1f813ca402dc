#pragma once
// The run's journal (<run_dir>/ledger.jsonl): one record per line, "<crc32 hex> <json>\n", each
// appended (and fsynced) through Storage::append by the coordinator alone.
//
// One damaged record never costs the records after it. A crash at any byte, a failed append or
// a flipped bit damages at most the lines it touches: replay checks every line's CRC, skips the
// damaged ones (and finds a whole record glued behind a torn one on the same line), keeps every
// valid record in order, and never rewrites the file, so nothing valid is ever thrown away.
// Appends after damage start on a fresh line.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/storage.h"
#include "orchestrator/rundir/ledger_events.h"
#include "orchestrator/rundir/utc_time.h"

namespace amnl::orch {

// One journal line for `record` (with its newline).
std::string encode_ledger_record(const nlohmann::json& record);

struct LedgerReplay {
  std::vector<nlohmann::json> records;  // every valid record, in file order
  bool truncated = false;               // some bytes were damaged (torn, corrupt) and skipped
  std::string problem;                  // what was wrong with the first damaged line
  int damaged_lines = 0;                // lines (or torn tail) that held bytes no record explains
  size_t skipped_bytes = 0;             // bytes not part of any valid record or line break
  bool ends_clean = true;               // the file ends with a newline (or is empty)
};
// Decodes journal bytes; never fails.
LedgerReplay decode_ledger(const std::string& bytes);

class Ledger {
 public:
  Ledger(std::shared_ptr<Storage> storage, std::string path);
  // Reads the journal (missing = empty); logs damage, changes nothing on disk.
  Result<LedgerReplay> replay();
  // Adds "time" (UTC, ISO 8601) and appends. Durable when it returns Ok. After a damaged tail or
  // a failed append, the record is written on a line of its own.
  Status append(nlohmann::json record);
  const std::string& path() const { return path_; }

 private:
  std::shared_ptr<Storage> storage_;
  std::string path_;
  bool tail_may_be_dirty_ = false;
};

}  // namespace amnl::orch
