#include "orchestrator/messages.h"

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

std::string encode_body(const json& body) { return body.dump(); }

std::optional<json> decode_body(const std::string& bytes) {
  auto j = json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

const char* to_string(JobEnd e) {
  switch (e) {
    case JobEnd::kDone: return "done";
    case JobEnd::kFailed: return "failed";
    case JobEnd::kPreempted: return "preempted";
    case JobEnd::kFenced: return "fenced";
  }
  return "?";
}

std::optional<JobEnd> job_end_from_string(const std::string& s) {
  for (JobEnd e : {JobEnd::kDone, JobEnd::kFailed, JobEnd::kPreempted, JobEnd::kFenced})
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
  r.end = job_end_from_string(j.value("end", "")).value_or(JobEnd::kFailed);
  r.reason = j.value("reason", "");
  r.metrics = j.value("metrics", json::object());
  r.epochs_run = j.value("epochs_run", 0);
  r.resumed_from_epoch = j.value("resumed_from_epoch", -1);
  r.final_model = j.value("final_model", "");
  return r;
}

json progress_to_json(const std::string& job, int attempt, const JobProgress& p) {
  return {{"job", job},           {"attempt", attempt},     {"epoch", p.epoch},
          {"max_epochs", p.max_epochs}, {"val_rmse", p.val_rmse}, {"best_val_rmse", p.best_val_rmse},
          {"epoch_seconds", p.epoch_seconds}, {"batches_done", p.batches_done}, {"checkpoint", p.checkpoint}};
}

ProgressReport progress_from_json(const json& j) {
  ProgressReport p;
  p.epoch = j.value("epoch", 0);
  p.max_epochs = j.value("max_epochs", 0);
  p.val_rmse = j.value("val_rmse", 0.0);
  p.best_val_rmse = j.value("best_val_rmse", 0.0);
  p.epoch_seconds = j.value("epoch_seconds", 0.0);
  p.batches_done = j.value("batches_done", int64_t{0});
  p.checkpoint = j.value("checkpoint", "");
  return p;
}

}  // namespace amnl::orch
