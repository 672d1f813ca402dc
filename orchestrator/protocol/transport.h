#pragma once
// What the coordinator and worker loops need from a message layer: non-blocking sends, polling
// receives, and "forget this rank" (declared dead: never send to it again). MpiTransport is the
// real one; the interface keeps the loops free of MPI calls.
#include <optional>

#include "orchestrator/protocol/messages.h"

namespace amnl::orch {

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Queues a message; returns at once. Dropped (with a log line) for a forgotten rank.
  virtual void send(int dest, MsgKind kind, const nlohmann::json& body) = 0;
  // The next received message, if one has arrived.
  virtual std::optional<Message> poll() = 0;
  // Completes finished sends; call regularly.
  virtual void progress() = 0;
  virtual size_t pending_sends() const = 0;
  virtual void forget(int rank) = 0;
  // A forgotten rank was heard from again (readmitted): messages may go to it once more.
  virtual void readmit(int rank) = 0;
};

// Sends a typed message (messages.h) under its own kind's tag: tag and body cannot disagree.
template <typename M>
void send_msg(Transport& t, int dest, const M& msg) {
  t.send(dest, M::kKind, msg.encode());
}

}  // namespace amnl::orch
