#pragma once
// A Transport between threads of one process: the in-process twin of MpiTransport, with the same
// contract (tests/orchestrator/transport_conformance.h checks both): messages between a pair of
// ranks arrive once and in send order, bodies travel as the same bytes (encode_body/decode_body,
// so a body MPI would drop is dropped here too), poll() never blocks, and a forgotten rank gets
// nothing until it is readmitted. Every endpoint may be used from its own thread.
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "orchestrator/protocol/transport.h"

namespace amnl::orch {

class LoopbackNetwork : public std::enable_shared_from_this<LoopbackNetwork> {
 public:
  static std::shared_ptr<LoopbackNetwork> create(int size);
  // The endpoint of `rank` (0 <= rank < size); one per rank.
  std::unique_ptr<Transport> endpoint(int rank);
  int size() const { return static_cast<int>(mailboxes_.size()); }

  // Called by the endpoints.
  void deliver(int from, int to, MsgKind kind, std::string bytes);
  bool take(int rank, int& from, MsgKind& kind, std::string& bytes);

 private:
  explicit LoopbackNetwork(int size);
  struct Envelope {
    int from;
    MsgKind kind;
    std::string bytes;
  };
  std::mutex mu_;
  std::vector<std::deque<Envelope>> mailboxes_;
};

}  // namespace amnl::orch
