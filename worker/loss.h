#pragma once
// The AMNL loss (amnl.md, "Loss"): failure-biased weighted MSE on RUL plus cross-entropy on the
// health class, mixed with fixed weights. The model predicts RUL / R_max; the RUL term is
// computed on that scale ("normalised") or on cycles (recipe.loss.rul_scale). The weight
// w = 1 + clip(1 - y/R_max, 0, 1) is the same on either scale.
#include <torch/torch.h>

#include "common/recipe_config.h"

namespace amnl::worker {

struct LossParts {
  torch::Tensor total, rul, health;  // scalars
};

// `rul_pred` and `rul_true` are RUL / R_max; the RUL term is multiplied by `rul_unit`^2, i.e.
// computed on RUL x rul_unit (1: normalised, R_max: cycles).
LossParts amnl_loss(const torch::Tensor& rul_pred, const torch::Tensor& rul_true, const torch::Tensor& logits,
                    const torch::Tensor& health, double rul_weight, double health_weight, double rul_unit = 1.0);

// The recipe's loss: weights and scale from `loss`, R_max from the data section.
LossParts amnl_loss(const torch::Tensor& rul_pred, const torch::Tensor& rul_true, const torch::Tensor& logits,
                    const torch::Tensor& health, const RecipeConfig& recipe);

}  // namespace amnl::worker
