#include "orchestrator/protocol/loopback_transport.h"

#include <stdexcept>

#include <spdlog/spdlog.h>

namespace amnl::orch {

namespace {

class LoopbackEndpoint final : public Transport {
 public:
  LoopbackEndpoint(std::shared_ptr<LoopbackNetwork> net, int rank) : net_(std::move(net)), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return net_->size(); }
  void send(int dest, MsgKind kind, const nlohmann::json& body) override {
    if (forgotten_.count(dest)) {
      spdlog::debug("not sending {} to rank {}: declared dead", to_string(kind), dest);
      return;
    }
    if (dest < 0 || dest >= size()) {
      spdlog::error("sending {} to rank {} failed: no such rank", to_string(kind), dest);
      return;
    }
    net_->deliver(rank_, dest, kind, encode_body(body));
  }
  std::optional<Message> poll() override {
    int from = -1;
    MsgKind kind = MsgKind::kPing;
    std::string bytes;
    while (net_->take(rank_, from, kind, bytes)) {
      auto body = decode_body(bytes);
      if (body) return Message{kind, from, std::move(*body)};
      spdlog::warn("dropping a malformed {} message from rank {}", to_string(kind), from);
    }
    return std::nullopt;
  }
  // Deliveries complete at once: nothing is ever pending.
  void progress() override {}
  size_t pending_sends() const override { return 0; }
  void forget(int rank) override { forgotten_.insert(rank); }
  void readmit(int rank) override { forgotten_.erase(rank); }

 private:
  std::shared_ptr<LoopbackNetwork> net_;
  int rank_;
  std::set<int> forgotten_;
};

}  // namespace

LoopbackNetwork::LoopbackNetwork(int size) : mailboxes_(static_cast<size_t>(size)) {}

std::shared_ptr<LoopbackNetwork> LoopbackNetwork::create(int size) {
  if (size < 1) throw std::invalid_argument("a loopback network needs at least one rank");
  return std::shared_ptr<LoopbackNetwork>(new LoopbackNetwork(size));
}

std::unique_ptr<Transport> LoopbackNetwork::endpoint(int rank) {
  if (rank < 0 || rank >= size()) throw std::invalid_argument("no rank " + std::to_string(rank));
  return std::make_unique<LoopbackEndpoint>(shared_from_this(), rank);
}

void LoopbackNetwork::deliver(int from, int to, MsgKind kind, std::string bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  mailboxes_[static_cast<size_t>(to)].push_back(Envelope{from, kind, std::move(bytes)});
}

bool LoopbackNetwork::take(int rank, int& from, MsgKind& kind, std::string& bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& box = mailboxes_[static_cast<size_t>(rank)];
  if (box.empty()) return false;
  from = box.front().from;
  kind = box.front().kind;
  bytes = std::move(box.front().bytes);
  box.pop_front();
  return true;
}

}  // namespace amnl::orch
