#include "orchestrator/mpi/mpi_transport.h"

#include <spdlog/spdlog.h>

namespace amnl::orch {

MpiTransport::MpiTransport(MPI_Comm comm) : comm_(comm) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

MpiTransport::~MpiTransport() {
  // Leave any unfinished send alone: freeing a request of a send that may never complete is
  // allowed, its buffer is leaked deliberately (the process is ending).
  for (auto& p : pending_) MPI_Request_free(&p.request);
  for (auto& p : pending_) abandoned_.push_back(std::move(p));
  pending_.clear();
  new std::list<PendingSend>(std::move(abandoned_));  // NOLINT: intentional leak, see above
}

void MpiTransport::send(int dest, MsgKind kind, const nlohmann::json& body) {
  if (forgotten_.count(dest)) {
    spdlog::debug("not sending {} to rank {}: declared dead", to_string(kind), dest);
    return;
  }
  pending_.push_back(PendingSend{dest, encode_body(body), MPI_REQUEST_NULL});
  PendingSend& p = pending_.back();
  const int rc = MPI_Isend(p.bytes.data(), static_cast<int>(p.bytes.size()), MPI_CHAR, dest,
                           static_cast<int>(kind), comm_, &p.request);
  if (rc != MPI_SUCCESS) {
    spdlog::error("MPI_Isend of {} to rank {} failed (code {})", to_string(kind), dest, rc);
    pending_.pop_back();
  }
}

void MpiTransport::progress() {
  for (auto it = pending_.begin(); it != pending_.end();) {
    int done = 0;
    MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
    it = done ? pending_.erase(it) : std::next(it);
  }
}

std::optional<Message> MpiTransport::poll() {
  progress();
  while (true) {
    int flag = 0;
    MPI_Message msg;
    MPI_Status status;
    MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, &msg, &status);
    if (!flag) return std::nullopt;
    int count = 0;
    MPI_Get_count(&status, MPI_CHAR, &count);
    std::string bytes(static_cast<size_t>(count), '\0');
    MPI_Mrecv(bytes.data(), count, MPI_CHAR, &msg, MPI_STATUS_IGNORE);
    if (!is_known_tag(status.MPI_TAG)) {
      spdlog::warn("dropping a message with unknown tag {} from rank {}", status.MPI_TAG, status.MPI_SOURCE);
      continue;
    }
    auto body = decode_body(bytes);
    if (!body) {
      spdlog::warn("dropping a malformed {} message from rank {}",
                   to_string(static_cast<MsgKind>(status.MPI_TAG)), status.MPI_SOURCE);
      continue;
    }
    return Message{static_cast<MsgKind>(status.MPI_TAG), status.MPI_SOURCE, std::move(*body)};
  }
}

void MpiTransport::forget(int rank) {
  if (!forgotten_.insert(rank).second) return;
  // Sends still in flight to it may never complete (over TCP a send to a dead rank hangs):
  // try to cancel, then stop tracking them, keeping their buffers alive.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->dest != rank) {
      ++it;
      continue;
    }
    MPI_Cancel(&it->request);
    MPI_Request_free(&it->request);
    abandoned_.splice(abandoned_.end(), pending_, it++);
  }
}

}  // namespace amnl::orch
