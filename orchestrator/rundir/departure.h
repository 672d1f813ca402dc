#pragma once
// A worker that leaves on purpose (its coordinator went silent, SIGTERM) says so twice: a BYE
// message, and a departure note <run_dir>/ranks/rank<N>.departed.json on the shared storage. The
// note is for the case where rank 0 never reads the BYE: it was paused, the network was cut, or
// it only finds the process gone. A rank with a note that matches its session and pid left, it
// did not die: its job is requeued without charging an attempt.
#include <optional>
#include <string>

#include "common/status.h"
#include "common/storage.h"

namespace amnl::orch {

struct DepartureNote {
  int rank = 0;
  long pid = 0;
  std::string host, session, reason;
  std::string job;  // the job it stopped ("" when idle)
  int attempt = 0;
};

std::string departure_note_path(const std::string& run_dir, int rank);
Status write_departure_note(Storage& storage, const std::string& run_dir, const DepartureNote& note);
// The note of `rank`, if there is one for this session and this process (notes of earlier
// sessions, or of an earlier process of the same rank, do not count). A malformed note is none.
std::optional<DepartureNote> read_departure_note(const Storage& storage, const std::string& run_dir, int rank,
                                                 const std::string& session, long pid);

}  // namespace amnl::orch
