#pragma once
// The base of the scripted transports of the coordinator and worker-loop tests: what a test's
// peers "send" is queued in inbox_ and polled in order; sends complete at once (nothing pending).
#include <deque>
#include <optional>

#include "orchestrator/protocol/transport.h"

namespace amnl::orch {

class QueuedTransport : public Transport {
 public:
  std::optional<Message> poll() override { return take_queued(); }
  void progress() override {}
  size_t pending_sends() const override { return 0; }

 protected:
  std::optional<Message> take_queued() {
    if (inbox_.empty()) return std::nullopt;
    Message m = std::move(inbox_.front());
    inbox_.pop_front();
    return m;
  }
  std::deque<Message> inbox_;
};

}  // namespace amnl::orch
