#pragma once
// Transport over MPI point-to-point, without any collective (a collective hangs after a death).
// Receives use a matched probe (MPI_Improbe + MPI_Mrecv) sized to the message, so no receive is
// ever left pending on a rank that may die and nothing needs cancelling. Sends are MPI_Isend with
// the buffer owned here until MPI_Test says done. Must be called from the MPI thread only
// (MPI_THREAD_FUNNELED).
#include <list>
#include <set>
#include <string>

#include <mpi.h>

#include "orchestrator/protocol/transport.h"

namespace amnl::orch {

class MpiTransport final : public Transport {
 public:
  explicit MpiTransport(MPI_Comm comm = MPI_COMM_WORLD);
  ~MpiTransport() override;
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void send(int dest, MsgKind kind, const nlohmann::json& body) override;
  std::optional<Message> poll() override;
  void progress() override;
  size_t pending_sends() const override { return pending_.size(); }
  void forget(int rank) override;
  void readmit(int rank) override { forgotten_.erase(rank); }

 private:
  struct PendingSend {
    int dest;
    std::string bytes;
    MPI_Request request;
  };
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  std::list<PendingSend> pending_;      // std::list: buffers must not move while in flight
  std::list<PendingSend> abandoned_;    // sends to forgotten ranks: buffers kept alive forever
  std::set<int> forgotten_;
};

}  // namespace amnl::orch
