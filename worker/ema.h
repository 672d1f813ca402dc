#pragma once
// Exponential moving average of a model's weights (amnl.md: decay 0.999, updated after every
// optimiser step). Parameters and floating buffers (BatchNorm running statistics) are averaged;
// integer buffers (batch counters) are copied. Evaluation swaps the shadow in and the training
// weights back by copying, so a swap never changes a bit of either.
#include <torch/torch.h>

namespace amnl::worker {

class Ema {
 public:
  Ema(torch::nn::Module& model, double decay);
  void update();
  // The shadow tensors, in state_tensors() order.
  std::vector<torch::Tensor>& shadow() { return shadow_; }
  const std::vector<torch::Tensor>& shadow() const { return shadow_; }

  // While alive, the model holds the EMA weights; the training weights come back on destruction.
  class Swap {
   public:
    explicit Swap(Ema& ema);
    ~Swap();
    Swap(const Swap&) = delete;
    Swap& operator=(const Swap&) = delete;

   private:
    Ema& ema_;
    std::vector<torch::Tensor> saved_;
  };

 private:
  std::vector<torch::Tensor> live_;  // the model's own tensors (aliases)
  std::vector<torch::Tensor> shadow_;
  double decay_;
};

// Copies `from` into `to` element-wise (same shapes); no autograd.
void copy_tensors(const std::vector<torch::Tensor>& from, std::vector<torch::Tensor>& to);
std::vector<torch::Tensor> clone_tensors(const std::vector<torch::Tensor>& from);

}  // namespace amnl::worker
