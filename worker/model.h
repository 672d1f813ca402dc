#pragma once
// DualTaskModel (amnl.md, "Model"): CNN front end, BiLSTM, multi-head self-attention with a
// residual and post LayerNorm, a shared funnel, a RUL head and a health head. Every size comes
// from RecipeConfig::Model. Internal to the worker: includes torch.
#include <torch/torch.h>

#include "common/recipe_config.h"

namespace amnl::worker {

struct DualTaskOutput {
  torch::Tensor rul;     // (B): RUL / R_max, >= 0 (a ReLU ends the head)
  torch::Tensor logits;  // (B, classes)
};

class DualTaskModelImpl : public torch::nn::Module {
 public:
  DualTaskModelImpl(const RecipeConfig::Model& config, int64_t num_features);
  // x: (B, window, num_features).
  DualTaskOutput forward(const torch::Tensor& x);

 private:
  // The constructor's parts, each building and registering its modules; each returns the width
  // it outputs.
  int64_t build_cnn(const RecipeConfig::Model& c, int64_t num_features);
  int64_t build_bilstm_and_attention(const RecipeConfig::Model& c, int64_t in);
  int64_t build_funnel(const RecipeConfig::Model& c, int64_t embed);
  void build_rul_head(const RecipeConfig::Model& c, int64_t shared);
  void build_health_head(const RecipeConfig::Model& c, int64_t shared);

  torch::nn::Sequential conv_{nullptr};
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::MultiheadAttention attention_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Sequential funnel_{nullptr}, rul_head_{nullptr}, health_head_{nullptr};
};
TORCH_MODULE(DualTaskModel);

struct Predictions {
  std::vector<double> rul;      // in cycles (model output x R_max)
  std::vector<int64_t> health;  // argmax of the logits
};
// Inference in eval mode over all windows of `x_of` in order, `batch` at a time. `windows` is
// the number of windows and `x_of(ids)` gathers a (B, window, F) batch.
Predictions predict_windows(DualTaskModel& model, int64_t windows,
                            const std::function<torch::Tensor(const torch::Tensor&)>& x_of, double r_max,
                            const torch::Device& device, int64_t batch = 1024);

// The recipe's AdamW over the model's parameters: the trainer's, and the one an earlier-format
// checkpoint's optimizer state is loaded into when it is converted (export_command.cc).
std::unique_ptr<torch::optim::AdamW> make_adamw(DualTaskModel& model, const RecipeConfig::Optimizer& o);

int64_t count_parameters(const torch::nn::Module& module);

// The model's state in a fixed order: parameters then buffers, with their dotted names. This
// order is the layout of weights, EMA shadows and their checkpoints.
std::vector<std::pair<std::string, torch::Tensor>> state_tensors(const torch::nn::Module& module);

}  // namespace amnl::worker
