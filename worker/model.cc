#include "worker/model.h"

#include <memory>
#include <optional>

namespace amnl::worker {
namespace nn = torch::nn;

namespace {

// Linear + ReLU for each width in `widths`, then (when given) a Dropout after each ReLU. The
// Sequential's indices name the parameters ("funnel.3.weight"): a Dropout is pushed only where
// one was there before, so that checkpoints and the PyTorch dict keep their keys.
int64_t push_linear_relu_stack(nn::Sequential& stack, int64_t in, const std::vector<int>& widths,
                               std::optional<double> dropout) {
  for (int w : widths) {
    stack->push_back(nn::Linear(in, w));
    stack->push_back(nn::ReLU());
    if (dropout) stack->push_back(nn::Dropout(*dropout));
    in = w;
  }
  return in;
}

}  // namespace

// The submodules are built and registered in the order of the forward pass; that order is the
// state_dict's (checkpoints, the PyTorch dict layout) and the order in which the seeded
// initialisation draws its numbers, so it must not change.
DualTaskModelImpl::DualTaskModelImpl(const RecipeConfig::Model& c, int64_t num_features) {
  const int64_t channels = build_cnn(c, num_features);
  const int64_t embed = build_bilstm_and_attention(c, channels);
  const int64_t shared = build_funnel(c, embed);
  build_rul_head(c, shared);
  build_health_head(c, shared);
}

int64_t DualTaskModelImpl::build_cnn(const RecipeConfig::Model& c, int64_t num_features) {
  conv_ = nn::Sequential();
  int64_t in = num_features;
  for (int ch : c.conv_channels) {
    conv_->push_back(nn::Conv1d(nn::Conv1dOptions(in, ch, 3).padding(1)));
    conv_->push_back(nn::BatchNorm1d(ch));
    conv_->push_back(nn::ReLU());
    conv_->push_back(nn::Dropout(c.conv_dropout));
    in = ch;
  }
  register_module("conv", conv_);
  return in;
}

int64_t DualTaskModelImpl::build_bilstm_and_attention(const RecipeConfig::Model& c, int64_t in) {
  // Dropout between LSTM layers only exists with two or more layers (torch warns otherwise).
  lstm_ = nn::LSTM(nn::LSTMOptions(in, c.lstm_hidden)
                       .num_layers(c.lstm_layers)
                       .batch_first(true)
                       .bidirectional(true)
                       .dropout(c.lstm_layers > 1 ? c.lstm_dropout : 0.0));
  register_module("lstm", lstm_);
  const int64_t embed = 2 * static_cast<int64_t>(c.lstm_hidden);
  attention_ = nn::MultiheadAttention(nn::MultiheadAttentionOptions(embed, c.attention_heads).dropout(c.attention_dropout));
  register_module("attention", attention_);
  norm_ = nn::LayerNorm(nn::LayerNormOptions({embed}));
  register_module("norm", norm_);
  return embed;
}

int64_t DualTaskModelImpl::build_funnel(const RecipeConfig::Model& c, int64_t embed) {
  funnel_ = nn::Sequential();
  const int64_t shared = push_linear_relu_stack(funnel_, embed, c.funnel, c.funnel_dropout);
  register_module("funnel", funnel_);
  return shared;
}

void DualTaskModelImpl::build_rul_head(const RecipeConfig::Model& c, int64_t shared) {
  rul_head_ = nn::Sequential();
  const int64_t in = push_linear_relu_stack(rul_head_, shared, c.rul_head, std::nullopt);
  nn::Linear rul_out(in, 1);
  // The head ends in a ReLU (RUL >= 0). Starting its bias at mid-range (RUL/R_max = 0.5) keeps
  // that ReLU active from the first step; at a negative start it could pass no gradient at all.
  {
    torch::NoGradGuard no_grad;
    rul_out->bias.fill_(0.5);
  }
  rul_head_->push_back(rul_out);
  rul_head_->push_back(nn::ReLU());
  register_module("rul_head", rul_head_);
}

void DualTaskModelImpl::build_health_head(const RecipeConfig::Model& c, int64_t shared) {
  health_head_ = nn::Sequential();
  const int64_t in = push_linear_relu_stack(health_head_, shared, c.health_head, std::nullopt);
  health_head_->push_back(nn::Linear(in, c.classes));
  register_module("health_head", health_head_);
}

DualTaskOutput DualTaskModelImpl::forward(const torch::Tensor& x) {
  auto h = conv_->forward(x.transpose(1, 2));           // (B, C, W)
  h = std::get<0>(lstm_->forward(h.transpose(1, 2)));  // (B, W, 2H)
  auto t = h.transpose(0, 1);                          // (W, B, 2H): attention is sequence-first
  auto attended = std::get<0>(attention_->forward(t, t, t, /*key_padding_mask=*/{}, /*need_weights=*/false));
  t = norm_->forward(t + attended);
  auto last = t[t.size(0) - 1];  // (B, 2H): the last time step
  auto shared = funnel_->forward(last);
  return {rul_head_->forward(shared).squeeze(-1), health_head_->forward(shared)};
}

Predictions predict_windows(DualTaskModel& model, int64_t windows,
                            const std::function<torch::Tensor(const torch::Tensor&)>& x_of, double r_max,
                            const torch::Device& device, int64_t batch) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  Predictions p;
  p.rul.reserve(static_cast<size_t>(windows));
  p.health.reserve(static_cast<size_t>(windows));
  for (int64_t b = 0; b < windows; b += batch) {
    const auto ids = torch::arange(b, std::min(windows, b + batch), torch::TensorOptions(torch::kInt64).device(device));
    const auto out = model->forward(x_of(ids));
    const auto rul = out.rul.to(torch::kCPU, torch::kFloat64).contiguous();
    const auto cls = out.logits.argmax(1).to(torch::kCPU).contiguous();
    for (int64_t i = 0; i < rul.size(0); ++i) {
      p.rul.push_back(rul.data_ptr<double>()[i] * r_max);
      p.health.push_back(cls.data_ptr<int64_t>()[i]);
    }
  }
  model->train(was_training);
  return p;
}

std::unique_ptr<torch::optim::AdamW> make_adamw(DualTaskModel& model, const RecipeConfig::Optimizer& o) {
  return std::make_unique<torch::optim::AdamW>(
      model->parameters(),
      torch::optim::AdamWOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay));
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

std::vector<std::pair<std::string, torch::Tensor>> state_tensors(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : module.named_parameters()) out.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers()) out.emplace_back(b.key(), b.value());
  return out;
}

}  // namespace amnl::worker
