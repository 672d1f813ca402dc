#include "worker/ema.h"

#include "worker/model.h"

namespace amnl::worker {

Ema::Ema(torch::nn::Module& model, double decay) : decay_(decay) {
  for (auto& [name, t] : state_tensors(model)) live_.push_back(t);
  shadow_ = clone_tensors(live_);
}

void Ema::update() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < live_.size(); ++i) {
    if (torch::isFloatingType(shadow_[i].scalar_type()))
      shadow_[i].mul_(decay_).add_(live_[i].detach(), 1.0 - decay_);
    else
      shadow_[i].copy_(live_[i]);
  }
}

Ema::Swap::Swap(Ema& ema) : ema_(ema), saved_(clone_tensors(ema.live_)) { copy_tensors(ema_.shadow_, ema_.live_); }

Ema::Swap::~Swap() { copy_tensors(saved_, ema_.live_); }

void copy_tensors(const std::vector<torch::Tensor>& from, std::vector<torch::Tensor>& to) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
}

std::vector<torch::Tensor> clone_tensors(const std::vector<torch::Tensor>& from) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  out.reserve(from.size());
  for (const auto& t : from) out.push_back(t.detach().clone());
  return out;
}

}  // namespace amnl::worker
