#include "orchestrator/rundir/lease.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "common/job_dir_files.h"
#include "orchestrator/rundir/ledger.h"

namespace amnl::orch {

std::string lease_path(const std::string& job_dir) { return job_dir + "/" + job_files::kLease; }

namespace {

std::optional<nlohmann::json> read_lease_json(const Storage& storage, const std::string& job_dir) {
  auto bytes = storage.read(lease_path(job_dir));
  if (!bytes) return std::nullopt;
  auto j = nlohmann::json::parse(*bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

bool names(const nlohmann::json& j, int attempt, const std::string& session) {
  const auto a = j.find("attempt");
  const auto s = j.find("session");
  return a != j.end() && a->is_number_integer() && a->get<int>() == attempt && s != j.end() && s->is_string() &&
         s->get<std::string>() == session;
}

// Greater than every token this job's leases had, even when lease.json was lost (the clock).
int64_t next_token(const Storage& storage, const std::string& job_dir) {
  int64_t previous = 0;
  if (auto old = read_lease_json(storage, job_dir); old && old->contains("token") && (*old)["token"].is_number_integer())
    previous = (*old)["token"].get<int64_t>();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  return std::max(previous + 1, now_ms);
}

}  // namespace

Status write_lease(Storage& storage, const std::string& job_dir, const std::string& job, int attempt, int rank,
                   const std::string& session) {
  AMNL_RETURN_IF_ERROR(storage.make_dirs(job_dir));
  nlohmann::json j{{"job", job},         {"attempt", attempt},
                   {"rank", rank},       {"session", session},
                   {"token", next_token(storage, job_dir)}, {"time", utc_now_iso()}};
  return storage.write_atomic(lease_path(job_dir), j.dump() + "\n").with_context("writing lease");
}

bool lease_owned_by(const Storage& storage, const std::string& job_dir, int attempt, const std::string& session) {
  auto j = read_lease_json(storage, job_dir);
  return j && names(*j, attempt, session);
}

std::optional<int64_t> owned_lease_token(const Storage& storage, const std::string& job_dir, int attempt,
                                         const std::string& session) {
  auto j = read_lease_json(storage, job_dir);
  if (!j || !names(*j, attempt, session)) return std::nullopt;
  const auto t = j->find("token");
  if (t == j->end() || !t->is_number_integer() || t->get<int64_t>() <= 0) return std::nullopt;
  return t->get<int64_t>();
}

}  // namespace amnl::orch
