// Fuzz target: ledger replay. decode_ledger never fails; every record it keeps must survive a
// re-encode/decode round trip, and the scheduler must take the records as earlier sessions' state
// (the coordinator does exactly this on a rerun) and keep working, emitting encodable records.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/checksum.h"
#include "orchestrator/rundir/ledger.h"
#include "orchestrator/policy/scheduler.h"

using namespace amnl::orch;

namespace {

// Every line of `bytes` given a valid checksum: random bytes almost never pass the CRC, so
// without this the fuzzer would only explore the damage paths, never what a record holds.
std::string resigned(const std::string& bytes) {
  std::string out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string::npos) nl = bytes.size();
    const std::string line = bytes.substr(pos, nl - pos);
    out += amnl::crc32_hex(line) + " " + line + "\n";
    pos = nl + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // First byte odd: the bytes are a journal as is; even: lines of record bodies, re-signed.
  const std::string raw(reinterpret_cast<const char*>(data), size);
  const std::string bytes = size && (data[0] & 1) ? raw.substr(1) : resigned(raw.substr(size ? 1 : 0));
  LedgerReplay replay = decode_ledger(bytes);
  if (replay.skipped_bytes > bytes.size()) __builtin_trap();
  if (replay.truncated == replay.problem.empty()) __builtin_trap();
  for (const auto& r : replay.records) {
    const LedgerReplay again = decode_ledger(encode_ledger_record(r));
    if (again.records.size() != 1 || again.records[0] != r || again.truncated) __builtin_trap();
  }

  std::vector<JobSpec> jobs{{JobKey{"FD001", 1}, 100}, {JobKey{"FD001", 2}, 100}, {JobKey{"FD002", 1}, 50}};
  SchedulerConfig config;
  config.max_attempts = 2;
  LedgerSink sink = [](const nlohmann::json& record) { (void)encode_ledger_record(record); };
  Scheduler s(jobs, config, sink, replay.records);
  s.add_worker(1, 0.0);
  s.on_ready(1, 0.0);
  for (const Assignment& a : s.dispatch(0.0)) {
    ResultReport r;
    r.end = amnl::JobEnd::kFailed;
    r.reason = "fuzz";
    s.on_result(a.rank, a.job, a.attempt, r, 1.0);
  }
  (void)s.counts();
  return 0;
}
