#include "worker/loss.h"

namespace amnl::worker {

LossParts amnl_loss(const torch::Tensor& rul_pred, const torch::Tensor& rul_true, const torch::Tensor& logits,
                    const torch::Tensor& health, double rul_weight, double health_weight, double rul_unit) {
  const auto w = 1.0 + torch::clamp(1.0 - rul_true, 0.0, 1.0);
  auto l_rul = (w * ((rul_pred - rul_true) * rul_unit).pow(2)).mean();
  auto l_health = torch::nn::functional::cross_entropy(logits, health);
  return {rul_weight * l_rul + health_weight * l_health, l_rul, l_health};
}

LossParts amnl_loss(const torch::Tensor& rul_pred, const torch::Tensor& rul_true, const torch::Tensor& logits,
                    const torch::Tensor& health, const RecipeConfig& recipe) {
  const double unit = recipe.loss.rul_scale == "cycles" ? recipe.data.r_max : 1.0;
  return amnl_loss(rul_pred, rul_true, logits, health, recipe.loss.rul_weight, recipe.loss.health_weight, unit);
}

}  // namespace amnl::worker
