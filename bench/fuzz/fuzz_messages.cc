// Fuzz target: the message decoders (a rank's bytes on the wire). A corrupt body is dropped or
// read with defaults, never fatal to rank 0 or a worker. Every typed decoder gets every body,
// whatever its tag would be; what one accepts must re-encode (the coordinator logs and journals
// it) and decode again to the same body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "orchestrator/rundir/job_id.h"
#include "orchestrator/rundir/ledger.h"
#include "orchestrator/protocol/messages.h"

using namespace amnl::orch;

namespace {

// decode -> encode -> decode is a fixed point: nothing a decoder accepts is lost or changed on the
// second trip (abort: libFuzzer reports it as a crash).
template <typename M>
void round_trip(const nlohmann::json& body) {
  const auto m = M::decode(body);
  if (!m) return;
  const nlohmann::json encoded = m->encode();
  (void)encode_body(encoded);
  const auto again = M::decode(encoded);
  if (!again || again->encode() != encoded) std::abort();
}

template <typename... Msgs>
void round_trip_each(const nlohmann::json& body) {
  (round_trip<Msgs>(body), ...);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)parse_job_id(bytes);
  auto body = decode_body(bytes);
  if (!body) return 0;
  round_trip_each<HelloMsg, ReadyMsg, HeartbeatMsg, ProgressMsg, ResultMsg, ByeMsg, StartMsg, AbortMsg, AssignMsg,
                  PingMsg, StopMsg, ShutdownMsg>(*body);
  // What the scheduler journals from a progress report must be encodable as a ledger record.
  if (auto p = ProgressMsg::decode(*body)) (void)encode_ledger_record(p->encode());
  if (auto job = body->find("job"); job != body->end() && job->is_string()) (void)parse_job_id(job->get<std::string>());
  return 0;
}
