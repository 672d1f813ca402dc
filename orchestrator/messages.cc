#include "orchestrator/messages.h"

#include <type_traits>

#include "common/json_fields.h"
#include "common/safe_path.h"
#include "orchestrator/record_fields.h"

namespace amnl::orch {

using nlohmann::json;

const char* to_string(MsgKind k) {
  switch (k) {
    case MsgKind::kHello: return "hello";
    case MsgKind::kStart: return "start";
    case MsgKind::kAbort: return "abort";
    case MsgKind::kReady: return "ready";
    case MsgKind::kAssign: return "assign";
    case MsgKind::kHeartbeat: return "heartbeat";
    case MsgKind::kProgress: return "progress";
    case MsgKind::kResult: return "result";
    case MsgKind::kPing: return "ping";
    case MsgKind::kStop: return "stop";
    case MsgKind::kShutdown: return "shutdown";
    case MsgKind::kBye: return "bye";
  }
  return "?";
}

bool is_known_tag(int tag) { return tag >= kFirstTag && tag <= kLastTag; }

// Lossy on invalid UTF-8 (a data file's bytes in a failure reason): dump() would throw.
std::string encode_body(const json& body) { return dump_lossy(body); }

std::optional<json> decode_body(const std::string& bytes) {
  auto j = json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  if (!mistyped_field(j).empty()) return std::nullopt;  // the coordinator reads these fields directly
  return j;
}

const char* to_string(JobEnd e) {
  switch (e) {
    case JobEnd::kDone: return "done";
    case JobEnd::kFailed: return "failed";
    case JobEnd::kPreempted: return "preempted";
    case JobEnd::kFenced: return "fenced";
    case JobEnd::kStorageFailed: return "storage_failed";
  }
  return "?";
}

std::optional<JobEnd> job_end_from_string(const std::string& s) {
  for (JobEnd e : {JobEnd::kDone, JobEnd::kFailed, JobEnd::kPreempted, JobEnd::kFenced, JobEnd::kStorageFailed})
    if (s == to_string(e)) return e;
  return std::nullopt;
}

json result_to_json(const std::string& job, int attempt, const JobResult& r) {
  return {{"job", job},
          {"attempt", attempt},
          {"end", to_string(r.end)},
          {"reason", r.reason},
          {"metrics", r.metrics.is_null() ? json::object() : r.metrics},
          {"epochs_run", r.epochs_run},
          {"resumed_from_epoch", r.resumed_from_epoch},
          {"final_model", r.final_model}};
}

ResultReport result_from_json(const json& j) {
  ResultReport r;
  // An unknown end is a failure: never mistake garbage for success.
  // Fields of the wrong type read as their defaults (json::value() would throw).
  const auto end = j.is_object() && j.contains("end") && j["end"].is_string()
                       ? job_end_from_string(j["end"].get<std::string>()) : std::nullopt;
  r.end = end.value_or(JobEnd::kFailed);
  r.reason = string_or(j, "reason", "");
  if (!end) {
    const std::string shown = j.is_object() && j.contains("end") ? printable(dump_lossy(j["end"])) : "(none)";
    r.reason = "result with an unknown end " + shown + (r.reason.empty() ? "" : ": " + r.reason);
  }
  r.metrics = object_or_empty(j, "metrics");
  r.epochs_run = int_or(j, "epochs_run", 0);
  r.resumed_from_epoch = int_or(j, "resumed_from_epoch", -1);
  r.final_model = string_or(j, "final_model", "");
  return r;
}

json progress_to_json(const std::string& job, int attempt, const JobProgress& p) {
  return {{"job", job},           {"attempt", attempt},     {"epoch", p.epoch},
          {"max_epochs", p.max_epochs}, {"val_rmse", p.val_rmse}, {"best_val_rmse", p.best_val_rmse},
          {"epoch_seconds", p.epoch_seconds}, {"batches_done", p.batches_done}, {"checkpoint", p.checkpoint}};
}

ProgressReport progress_from_json(const json& j) {
  ProgressReport p;
  p.epoch = int_or(j, "epoch", 0);
  p.max_epochs = int_or(j, "max_epochs", 0);
  p.val_rmse = double_or(j, "val_rmse", 0.0);
  p.best_val_rmse = double_or(j, "best_val_rmse", 0.0);
  p.epoch_seconds = double_or(j, "epoch_seconds", 0.0);
  p.batches_done = int64_or(j, "batches_done", 0);
  p.checkpoint = string_or(j, "checkpoint", "");
  return p;
}

namespace {

// Reads body[key] into out when present; false when present with the wrong type.
template <typename T>
bool read_field(const json& body, const char* key, T& out) {
  if (!body.contains(key)) return true;
  const json& v = body[key];
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return false;
  } else if constexpr (std::is_same_v<T, double>) {
    if (!v.is_number()) return false;
  } else if constexpr (std::is_same_v<T, json>) {
    // any JSON value (the recipe is passed on as it is)
  } else {
    if (!v.is_number_integer()) return false;
  }
  out = v.get<T>();
  return true;
}

}  // namespace

json StartMsg::encode() const {
  json j{{"run_dir", run_dir}, {"heartbeat_interval_s", heartbeat_interval_s},
         {"coordinator_timeout_s", coordinator_timeout_s}};
  if (stop_grace_s) j["stop_grace_s"] = *stop_grace_s;
  return j;
}

std::optional<StartMsg> StartMsg::decode(const json& body) {
  if (!body.is_object()) return std::nullopt;
  StartMsg m;
  double grace = 0;
  const bool ok = read_field(body, "run_dir", m.run_dir) &&
                  read_field(body, "heartbeat_interval_s", m.heartbeat_interval_s) &&
                  read_field(body, "coordinator_timeout_s", m.coordinator_timeout_s) &&
                  read_field(body, "stop_grace_s", grace);
  if (!ok) return std::nullopt;
  if (body.contains("stop_grace_s")) m.stop_grace_s = grace;
  return m;
}

json AssignMsg::encode() const {
  return {{"job", job},         {"dataset", dataset}, {"seed", seed},     {"data_dir", data_dir},
          {"job_dir", job_dir}, {"attempt", attempt}, {"session", session}, {"recipe", recipe},
          {"threads", threads}};
}

std::optional<AssignMsg> AssignMsg::decode(const json& body) {
  if (!body.is_object()) return std::nullopt;
  AssignMsg m;
  const bool ok = read_field(body, "job", m.job) && read_field(body, "dataset", m.dataset) &&
                  read_field(body, "seed", m.seed) && read_field(body, "data_dir", m.data_dir) &&
                  read_field(body, "job_dir", m.job_dir) && read_field(body, "attempt", m.attempt) &&
                  read_field(body, "session", m.session) && read_field(body, "recipe", m.recipe) &&
                  read_field(body, "threads", m.threads);
  if (!ok) return std::nullopt;
  return m;
}

}  // namespace amnl::orch
