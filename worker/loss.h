#pragma once
// The AMNL loss (amnl.md, "Loss"): failure-biased weighted MSE on RUL plus cross-entropy on the
// health class, mixed with fixed weights. RUL is on the model's scale, RUL / R_max, so that both
// terms are of order one and the 0.5/0.5 mix is meaningful; the weight w = 1 + clip(1 - y/R_max,
// 0, 1) is the same on either scale.
#include <torch/torch.h>

namespace amnl::worker {

struct LossParts {
  torch::Tensor total, rul, health;  // scalars
};

LossParts amnl_loss(const torch::Tensor& rul_pred, const torch::Tensor& rul_true, const torch::Tensor& logits,
                    const torch::Tensor& health, double rul_weight, double health_weight);

}  // namespace amnl::worker
