#include "orchestrator/protocol/messages.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <limits>
#include <type_traits>

#include "common/json_fields.h"
#include "common/safe_path.h"
#include "orchestrator/protocol/record_fields.h"

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
  // The typed decoders refuse such bodies too; refusing them here as well keeps the transport
  // dropping (and logging) them as before, with the same field list as the ledger's check.
  if (!mistyped_field(j).empty()) return std::nullopt;
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

namespace {

// Reads body[key] into out when present; false when present with the wrong type, or an integer
// that does not fit in out's type (get<int>() would convert it with loss or undefined behaviour).
template <typename T>
bool read_field(const json& body, const char* key, T& out) {
  const auto it = body.find(key);
  if (it == body.end()) return true;
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return false;
    out = it->template get<std::string>();
  } else if constexpr (std::is_same_v<T, double>) {
    if (!it->is_number()) return false;
    out = it->template get<double>();
  } else if constexpr (std::is_same_v<T, json>) {
    out = *it;  // any JSON value (the recipe is passed on as it is)
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return false;
    out = it->template get<bool>();
  } else {
    static_assert(std::is_integral_v<T>);
    const auto v = int_field(body, key, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
    if (!v) return false;
    out = static_cast<T>(*v);
  }
  return true;
}

// A measured value (val_rmse, ...): dump() writes a NaN as null, so null (or a non-finite
// number, in process) leaves the default (NaN, "not measured", for the RMSEs) rather than
// refusing the whole report.
bool read_measure(const json& body, const char* key, double& out) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_number()) return false;
  if (const double v = it->get<double>(); std::isfinite(v)) out = v;
  return true;
}

bool read_object(const json& body, const char* key, json& out) {
  const auto it = body.find(key);
  if (it == body.end()) return true;
  if (!it->is_object()) return false;
  out = *it;
  return true;
}

}  // namespace

json HelloMsg::encode() const { return {{"pid", pid}, {"host", host}}; }

std::optional<HelloMsg> HelloMsg::decode(const json& body) {
  if (!body.is_object()) return std::nullopt;
  HelloMsg m;
  if (!read_field(body, "pid", m.pid) || !read_field(body, "host", m.host)) return std::nullopt;
  return m;
}

template <MsgKind K>
json ReasonMsg<K>::encode() const {
  return {{"reason", reason}};
}

template <MsgKind K>
std::optional<ReasonMsg<K>> ReasonMsg<K>::decode(const json& body) {
  if (!body.is_object()) return std::nullopt;
  ReasonMsg m;
  if (!read_field(body, "reason", m.reason)) return std::nullopt;
  return m;
}

template struct ReasonMsg<MsgKind::kAbort>;
template struct ReasonMsg<MsgKind::kStop>;
template struct ReasonMsg<MsgKind::kBye>;

std::optional<ShutdownMsg> ShutdownMsg::decode(const json& body) {
  if (!body.is_object()) return std::nullopt;
  ShutdownMsg m;
  if (!read_field(body, "finalize", m.finalize)) return std::nullopt;
  return m;
}

json HeartbeatMsg::encode() const { return {{"job", job}, {"attempt", attempt}, {"counter", counter}}; }

std::optional<HeartbeatMsg> HeartbeatMsg::decode(const json& body) {
  if (!body.is_object()) return std::nullopt;
  HeartbeatMsg m;
  const bool ok = read_field(body, "job", m.job) && read_field(body, "attempt", m.attempt) &&
                  read_field(body, "counter", m.counter);
  if (!ok) return std::nullopt;
  return m;
}

ProgressMsg ProgressMsg::of(const std::string& job, int attempt, const JobProgress& p) {
  return ProgressMsg{job, attempt,
                     ProgressReport{p.epoch, p.max_epochs, p.early_stop_epoch, p.val_rmse, p.best_val_rmse,
                                    p.epoch_seconds, p.batches_done, p.checkpoint, p.val_all_windows_rmse}};
}

json ProgressMsg::encode() const {
  const ProgressReport& p = progress;
  return {{"job", job},           {"attempt", attempt},     {"epoch", p.epoch},
          {"max_epochs", p.max_epochs}, {"early_stop_epoch", p.early_stop_epoch}, {"val_rmse", p.val_rmse},
          {"best_val_rmse", p.best_val_rmse}, {"epoch_seconds", p.epoch_seconds}, {"batches_done", p.batches_done},
          {"checkpoint", p.checkpoint}, {"val_all_windows_rmse", p.val_all_windows_rmse}};
}

std::optional<ProgressMsg> ProgressMsg::decode(const json& body) {
  if (!body.is_object()) return std::nullopt;
  ProgressMsg m;
  ProgressReport& p = m.progress;
  const bool ok = read_field(body, "job", m.job) && read_field(body, "attempt", m.attempt) &&
                  read_field(body, "epoch", p.epoch) && read_field(body, "max_epochs", p.max_epochs) &&
                  read_field(body, "early_stop_epoch", p.early_stop_epoch) &&
                  read_measure(body, "val_rmse", p.val_rmse) && read_measure(body, "best_val_rmse", p.best_val_rmse) &&
                  read_measure(body, "epoch_seconds", p.epoch_seconds) &&
                  read_measure(body, "val_all_windows_rmse", p.val_all_windows_rmse) &&
                  read_field(body, "batches_done", p.batches_done) && read_field(body, "checkpoint", p.checkpoint);
  if (!ok) return std::nullopt;
  return m;
}

ResultMsg ResultMsg::of(const std::string& job, int attempt, const JobResult& r) {
  return ResultMsg{job, attempt,
                   ResultReport{r.end, r.reason, r.metrics, r.epochs_run, r.resumed_from_epoch, r.final_model}};
}

json ResultMsg::encode() const {
  const ResultReport& r = result;
  return {{"job", job},
          {"attempt", attempt},
          {"end", to_string(r.end)},
          {"reason", r.reason},
          {"metrics", r.metrics.is_null() ? json::object() : r.metrics},
          {"epochs_run", r.epochs_run},
          {"resumed_from_epoch", r.resumed_from_epoch},
          {"final_model", r.final_model}};
}

std::optional<ResultMsg> ResultMsg::decode(const json& body) {
  if (!body.is_object()) return std::nullopt;
  ResultMsg m;
  ResultReport& r = m.result;
  r.metrics = json::object();
  std::string end;
  const bool ok = read_field(body, "job", m.job) && read_field(body, "attempt", m.attempt) &&
                  read_field(body, "end", end) && read_field(body, "reason", r.reason) &&
                  read_object(body, "metrics", r.metrics) && read_field(body, "epochs_run", r.epochs_run) &&
                  read_field(body, "resumed_from_epoch", r.resumed_from_epoch) &&
                  read_field(body, "final_model", r.final_model);
  if (!ok) return std::nullopt;
  const auto known = job_end_from_string(end);
  r.end = known.value_or(JobEnd::kFailed);
  if (!known) {
    const std::string shown = body.contains("end") ? printable(dump_lossy(body["end"])) : "(none)";
    r.reason = "result with an unknown end " + shown + (r.reason.empty() ? "" : ": " + r.reason);
  }
  return m;
}

json StartMsg::encode() const {
  json j{{"run_dir", run_dir}, {"heartbeat_interval_s", heartbeat_interval_s},
         {"coordinator_timeout_s", coordinator_timeout_s}, {"session", session}};
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
                  read_field(body, "stop_grace_s", grace) && read_field(body, "session", m.session);
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

void warn_malformed(const Message& m) {
  spdlog::warn("ignoring a malformed {} message from rank {}: {}", to_string(m.kind), m.peer,
               printable(dump_lossy(m.body), 200));
}

}  // namespace amnl::orch
