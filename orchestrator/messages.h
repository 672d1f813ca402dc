#pragma once
// The wire format between the coordinator (rank 0) and the workers. Each kind has its own MPI
// tag (never shared with another purpose: a large message matched by a small receive of another
// kind crashed a rank in our measurements); the body is a small JSON text.
//
//   worker -> coordinator              coordinator -> worker
//   kHello     {pid, host}             kStart    {run_dir, heartbeat_interval_s, coordinator_timeout_s,
//                                                 stop_grace_s}                  (StartMsg)
//   kReady     {}                      kAbort    {reason}      (experiment refused: exit)
//   kHeartbeat {job, attempt, counter} kAssign   {job, dataset, seed, data_dir, job_dir, attempt,
//   kProgress  {job, attempt, ...}                session, recipe, threads}     (AssignMsg)
//   kResult    {job, attempt, end,..}  kPing     {}            (the coordinator is alive)
//   kBye       {reason}                kStop     {reason}      (checkpoint and report preempted)
//                                      kShutdown {}            (exit now)
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/job.h"
#include "orchestrator/scheduler.h"

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
// nullopt when the bytes are not a JSON object (a corrupt message is dropped, never fatal).
std::optional<nlohmann::json> decode_body(const std::string& bytes);

const char* to_string(JobEnd e);
std::optional<JobEnd> job_end_from_string(const std::string& s);

nlohmann::json result_to_json(const std::string& job, int attempt, const JobResult& r);
ResultReport result_from_json(const nlohmann::json& j);
nlohmann::json progress_to_json(const std::string& job, int attempt, const JobProgress& p);
ProgressReport progress_from_json(const nlohmann::json& j);

// START, typed. A missing field reads as its default; decode gives nullopt for a field of the
// wrong type (never throws).
struct StartMsg {
  std::string run_dir;
  double heartbeat_interval_s = 1.0;
  double coordinator_timeout_s = 60.0;
  std::optional<double> stop_grace_s;  // absent: the worker's own default
  nlohmann::json encode() const;
  static std::optional<StartMsg> decode(const nlohmann::json& body);
};

// ASSIGN, typed (same defaults and error rule as StartMsg).
struct AssignMsg {
  std::string job, dataset, data_dir, job_dir, session;
  int64_t seed = 0;
  int attempt = 1;
  nlohmann::json recipe = nlohmann::json::object();
  int threads = 0;
  nlohmann::json encode() const;
  static std::optional<AssignMsg> decode(const nlohmann::json& body);
};

}  // namespace amnl::orch
