#pragma once
// The wire format between the coordinator (rank 0) and the workers. Each kind has its own MPI
// tag (never shared with another purpose: a large message matched by a small receive of another
// kind crashed a rank in our measurements); the body is a small JSON text.
//
// Every kind has a typed struct below (encode / decode): both sides build and read bodies only
// through them, so a field's name and type are stated once.
//
//   worker -> coordinator
//   kHello     {pid, host}                                              (HelloMsg)
//   kReady     {}                      (idle: asks for work)            (ReadyMsg)
//   kHeartbeat {job, attempt, counter} (job "" and counter -1 when idle) (HeartbeatMsg)
//   kProgress  {job, attempt, epoch, max_epochs, val_rmse, best_val_rmse, epoch_seconds,
//               batches_done, checkpoint}                               (ProgressMsg)
//   kResult    {job, attempt, end, reason, metrics, epochs_run, resumed_from_epoch,
//               final_model}                                            (ResultMsg)
//   kBye       {reason}                (leaving by itself)              (ByeMsg)
//   coordinator -> worker
//   kStart     {run_dir, heartbeat_interval_s, coordinator_timeout_s, [stop_grace_s], session}
//                                                                       (StartMsg)
//   kAbort     {reason}                (experiment refused: exit)       (AbortMsg)
//   kAssign    {job, dataset, seed, data_dir, job_dir, attempt, session, recipe, threads}
//                                                                       (AssignMsg)
//   kPing      {}                      (the coordinator is alive)       (PingMsg)
//   kStop      {reason}                (checkpoint and report preempted) (StopMsg)
//   kShutdown  {finalize}              (exit now; finalize false: a rank was lost, so
//                                       MPI_Finalize would hang: exit without it)  (ShutdownMsg)
//
// Decoding: a missing field reads as its default; a field of the wrong type (or an integer out
// of range) makes decode() give nullopt, never throw; unknown extra fields are ignored.
// A receiver drops a body that does not decode after one warning (decode_msg).
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/job.h"
#include "orchestrator/protocol/job_reports.h"

namespace amnl::orch {

enum class MsgKind : int {
  kHello = 7101,
  kStart = 7102,
  kAbort = 7103,
  kReady = 7104,
  kAssign = 7105,
  kHeartbeat = 7106,
  kProgress = 7107,
  kResult = 7108,
  kPing = 7109,
  kStop = 7110,
  kShutdown = 7111,
  kBye = 7112,
};
constexpr int kFirstTag = 7101;
constexpr int kLastTag = 7112;
const char* to_string(MsgKind k);
bool is_known_tag(int tag);

struct Message {
  MsgKind kind = MsgKind::kPing;
  int peer = -1;  // source rank (received) or destination (sent)
  nlohmann::json body;
};

std::string encode_body(const nlohmann::json& body);
// nullopt when the bytes are not a JSON object, or a field that record_fields.h knows has the
// wrong type (a corrupt message is dropped, never fatal).
std::optional<nlohmann::json> decode_body(const std::string& bytes);

const char* to_string(JobEnd e);
std::optional<JobEnd> job_end_from_string(const std::string& s);

struct HelloMsg {
  static constexpr MsgKind kKind = MsgKind::kHello;
  int64_t pid = 0;
  std::string host;
  nlohmann::json encode() const;
  static std::optional<HelloMsg> decode(const nlohmann::json& body);
};

// The kinds whose body is {}: any JSON object decodes (its fields are ignored).
template <MsgKind K>
struct EmptyMsg {
  static constexpr MsgKind kKind = K;
  nlohmann::json encode() const { return nlohmann::json::object(); }
  static std::optional<EmptyMsg> decode(const nlohmann::json& body) {
    if (!body.is_object()) return std::nullopt;
    return EmptyMsg{};
  }
};
using ReadyMsg = EmptyMsg<MsgKind::kReady>;
using PingMsg = EmptyMsg<MsgKind::kPing>;

// The run is over. `finalize` false: the session lost a rank, so MPI_Finalize would wait for it
// for ever (and mpirun with it); the worker exits without it and rank 0 ends the job.
struct ShutdownMsg {
  static constexpr MsgKind kKind = MsgKind::kShutdown;
  bool finalize = true;
  nlohmann::json encode() const { return {{"finalize", finalize}}; }
  static std::optional<ShutdownMsg> decode(const nlohmann::json& body);
};

// The kinds whose body is {reason}. BYE without a reason reads as "left".
template <MsgKind K>
struct ReasonMsg {
  static constexpr MsgKind kKind = K;
  std::string reason = K == MsgKind::kBye ? "left" : "";
  nlohmann::json encode() const;
  static std::optional<ReasonMsg> decode(const nlohmann::json& body);
};
using AbortMsg = ReasonMsg<MsgKind::kAbort>;
using StopMsg = ReasonMsg<MsgKind::kStop>;
using ByeMsg = ReasonMsg<MsgKind::kBye>;

// job "" / attempt 0 / counter -1: the worker is idle.
struct HeartbeatMsg {
  static constexpr MsgKind kKind = MsgKind::kHeartbeat;
  std::string job;
  int attempt = 0;
  int64_t counter = -1;
  nlohmann::json encode() const;
  static std::optional<HeartbeatMsg> decode(const nlohmann::json& body);
};

// An epoch's end or a checkpoint. A real-valued field that is null (a NaN, e.g. a diverged
// epoch, is written as null) reads as 0.
struct ProgressMsg {
  static constexpr MsgKind kKind = MsgKind::kProgress;
  std::string job;
  int attempt = 0;
  ProgressReport progress;
  static ProgressMsg of(const std::string& job, int attempt, const JobProgress& p);
  nlohmann::json encode() const;
  static std::optional<ProgressMsg> decode(const nlohmann::json& body);
};

// How an attempt ended. A missing or unknown `end` decodes as kFailed with a reason saying so:
// garbage is never mistaken for success.
struct ResultMsg {
  static constexpr MsgKind kKind = MsgKind::kResult;
  std::string job;
  int attempt = 0;
  ResultReport result;
  static ResultMsg of(const std::string& job, int attempt, const JobResult& r);
  nlohmann::json encode() const;
  static std::optional<ResultMsg> decode(const nlohmann::json& body);
};

struct StartMsg {
  static constexpr MsgKind kKind = MsgKind::kStart;
  std::string run_dir;
  double heartbeat_interval_s = 1.0;
  double coordinator_timeout_s = 120.0;
  std::optional<double> stop_grace_s;  // absent: the worker's own default
  std::string session;                 // the coordinator's session id (departure notes)
  nlohmann::json encode() const;
  static std::optional<StartMsg> decode(const nlohmann::json& body);
};

struct AssignMsg {
  static constexpr MsgKind kKind = MsgKind::kAssign;
  std::string job, dataset, data_dir, job_dir, session;
  int64_t seed = 0;
  int attempt = 1;
  nlohmann::json recipe = nlohmann::json::object();
  int threads = 0;
  nlohmann::json encode() const;
  static std::optional<AssignMsg> decode(const nlohmann::json& body);
};

// Logs that m (from rank m.peer) was dropped because its body does not decode as its kind.
void warn_malformed(const Message& m);

// m's body as M, or nullopt after warn_malformed: a malformed or hostile message from any rank
// is dropped, never read field by field (json::value() throws on a mistyped field).
template <typename M>
std::optional<M> decode_msg(const Message& m) {
  auto decoded = M::decode(m.body);
  if (!decoded) warn_malformed(m);
  return decoded;
}

}  // namespace amnl::orch
