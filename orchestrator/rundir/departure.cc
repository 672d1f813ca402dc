#include "orchestrator/rundir/departure.h"

#include <nlohmann/json.hpp>

#include "common/json_fields.h"
#include "orchestrator/rundir/ledger.h"

namespace amnl::orch {

std::string departure_note_path(const std::string& run_dir, int rank) {
  return run_dir + "/ranks/rank" + std::to_string(rank) + ".departed.json";
}

Status write_departure_note(Storage& storage, const std::string& run_dir, const DepartureNote& n) {
  const nlohmann::json j{{"rank", n.rank}, {"pid", n.pid},   {"host", n.host},       {"session", n.session},
                         {"reason", n.reason}, {"job", n.job}, {"attempt", n.attempt}, {"time", utc_now_iso()}};
  return storage.write_atomic(departure_note_path(run_dir, n.rank), j.dump() + "\n")
      .with_context("writing the departure note");
}

std::optional<DepartureNote> read_departure_note(const Storage& storage, const std::string& run_dir, int rank,
                                                 const std::string& session, long pid) {
  auto bytes = storage.read(departure_note_path(run_dir, rank));
  if (!bytes) return std::nullopt;
  const auto j = nlohmann::json::parse(*bytes, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  DepartureNote n;
  n.rank = int_or(j, "rank", -1);
  n.pid = static_cast<long>(int64_or(j, "pid", -1));
  n.session = string_or(j, "session", "");
  if (n.rank != rank || n.session != session || session.empty() || n.pid != pid) return std::nullopt;
  n.host = string_or(j, "host", "");
  n.reason = string_or(j, "reason", "left");
  n.job = string_or(j, "job", "");
  n.attempt = int_or(j, "attempt", 0);
  return n;
}

}  // namespace amnl::orch
