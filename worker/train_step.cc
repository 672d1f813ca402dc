#include "worker/train_step.h"

#include <cmath>

namespace amnl::worker {

StepResult train_step(DualTaskModel& model, torch::optim::Optimizer& optimizer, Ema& ema, const torch::Tensor& x,
                      const torch::Tensor& rul, const torch::Tensor& health, const RecipeConfig& recipe) {
  StepResult r;
  optimizer.zero_grad();
  const auto out = model->forward(x);
  r.loss = amnl_loss(out.rul, rul, out.logits, health, recipe);
  r.total = r.loss.total.item<double>();
  if (!std::isfinite(r.total)) return r;
  r.loss.total.backward();
  r.grad_norm = torch::nn::utils::clip_grad_norm_(model->parameters(), recipe.grad_clip);
  optimizer.step();
  ema.update();
  r.stepped = true;
  return r;
}

}  // namespace amnl::worker
