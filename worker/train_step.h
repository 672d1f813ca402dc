#pragma once
// One optimiser step of amnl.md ("Optimisation"), apart from the loop so that its parts
// (loss on the recipe's scale, global-norm gradient clipping, AdamW, EMA) can be tested alone.
#include <torch/torch.h>

#include "common/recipe_config.h"
#include "worker/ema.h"
#include "worker/loss.h"
#include "worker/model.h"

namespace amnl::worker {

struct StepResult {
  LossParts loss;
  double total = 0;      // loss.total as a double
  bool stepped = false;  // false when the loss was not finite: nothing was changed
  double grad_norm = 0;  // global L2 norm of the gradients before clipping (when stepped)
};

// zero_grad, forward (the model's current mode), the recipe's loss; then, only when that loss
// is finite: backward, clip the global L2 norm to recipe.grad_clip, optimizer step, EMA update.
// The clipped gradients stay in the parameters' .grad() until the next step.
StepResult train_step(DualTaskModel& model, torch::optim::Optimizer& optimizer, Ema& ema, const torch::Tensor& x,
                      const torch::Tensor& rul, const torch::Tensor& health, const RecipeConfig& recipe);

}  // namespace amnl::worker
