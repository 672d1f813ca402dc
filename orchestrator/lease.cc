#include "orchestrator/lease.h"

#include <nlohmann/json.hpp>

#include "orchestrator/ledger.h"

namespace amnl::orch {

std::string lease_path(const std::string& job_dir) { return job_dir + "/lease.json"; }

Status write_lease(Storage& storage, const std::string& job_dir, const std::string& job, int attempt, int rank,
                   const std::string& session) {
  AMNL_RETURN_IF_ERROR(storage.make_dirs(job_dir));
  nlohmann::json j{{"job", job}, {"attempt", attempt}, {"rank", rank}, {"session", session}, {"time", utc_now_iso()}};
  return storage.write_atomic(lease_path(job_dir), j.dump() + "\n").with_context("writing lease");
}

Result<int> read_lease_attempt(const Storage& storage, const std::string& job_dir) {
  auto bytes = storage.read(lease_path(job_dir));
  if (!bytes) return bytes.status();
  auto j = nlohmann::json::parse(*bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("attempt") || !j["attempt"].is_number_integer())
    return Result<int>::Error("lease " + lease_path(job_dir) + " is malformed");
  return j["attempt"].get<int>();
}

bool lease_owned_by(const Storage& storage, const std::string& job_dir, int attempt, const std::string& session) {
  auto bytes = storage.read(lease_path(job_dir));
  if (!bytes) return false;
  auto j = nlohmann::json::parse(*bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  const auto a = j.find("attempt");
  const auto s = j.find("session");
  return a != j.end() && a->is_number_integer() && a->get<int>() == attempt && s != j.end() && s->is_string() &&
         s->get<std::string>() == session;
}

}  // namespace amnl::orch
