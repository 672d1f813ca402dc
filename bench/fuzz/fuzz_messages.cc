// Fuzz target: the coordinator's message decoders (a worker's bytes on the wire). A corrupt body
// is dropped or read with defaults, never fatal to rank 0; what it decodes to must be re-encodable
// (the coordinator logs and journals it).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "orchestrator/job_id.h"
#include "orchestrator/ledger.h"
#include "orchestrator/messages.h"

using namespace amnl::orch;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)parse_job_id(bytes);
  auto body = decode_body(bytes);
  if (!body) return 0;
  const ResultReport r = result_from_json(*body);
  const ProgressReport p = progress_from_json(*body);
  amnl::JobResult jr;
  jr.end = r.end;
  jr.reason = r.reason;
  jr.metrics = r.metrics;
  jr.epochs_run = r.epochs_run;
  jr.resumed_from_epoch = r.resumed_from_epoch;
  jr.final_model = r.final_model;
  (void)encode_body(result_to_json("FD001-s1", 1, jr));
  amnl::JobProgress jp;
  jp.epoch = p.epoch;
  jp.checkpoint = p.checkpoint;
  (void)encode_ledger_record(progress_to_json("FD001-s1", 1, jp));
  if (auto job = body->find("job"); job != body->end() && job->is_string()) (void)parse_job_id(job->get<std::string>());
  return 0;
}
