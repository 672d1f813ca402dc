#pragma once
// Fencing: <job_dir>/lease.json names the attempt that owns a job. The coordinator writes it
// atomically BEFORE sending an assignment; a worker asks it before every durable write, so a
// stale attempt (a worker declared dead that wakes up) learns it lost the job and writes nothing.
// A lease names the session as well as the attempt: attempt numbers come from the ledger, and a
// session that lost ledger records could hand out a number again; the session id tells apart a
// straggler of an earlier session (e.g. an orphaned rank of a killed mpirun) from today's owner.
//
// A lease also carries a fencing token that grows with every lease of the job, across sessions:
// max(previous token + 1, milliseconds since the epoch), so that a lost or torn lease.json does
// not start it over. The asking happens before the write, so it cannot stop a writer that stalls
// after it: the commit step itself is fenced by the token (worker/checkpoint_store.h): an attempt
// names its files and manifest after it, and readers trust the highest token's manifest.
#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "common/storage.h"

namespace amnl::orch {

std::string lease_path(const std::string& job_dir);
Status write_lease(Storage& storage, const std::string& job_dir, const std::string& job, int attempt, int rank,
                   const std::string& session);
// True only when the lease names exactly `attempt` of `session`: an unreadable lease is not
// ownership.
bool lease_owned_by(const Storage& storage, const std::string& job_dir, int attempt, const std::string& session);
// The lease's fencing token when the lease names exactly `attempt` of `session`; nullopt otherwise
// (another attempt owns the job, or the lease is missing, unreadable or has no token).
std::optional<int64_t> owned_lease_token(const Storage& storage, const std::string& job_dir, int attempt,
                                         const std::string& session);

}  // namespace amnl::orch
