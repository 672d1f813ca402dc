#include "worker/model.h"

namespace amnl::worker {
namespace nn = torch::nn;

DualTaskModelImpl::DualTaskModelImpl(const RecipeConfig::Model& c, int64_t num_features) {
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

  funnel_ = nn::Sequential();
  in = embed;
  for (int w : c.funnel) {
    funnel_->push_back(nn::Linear(in, w));
    funnel_->push_back(nn::ReLU());
    funnel_->push_back(nn::Dropout(c.funnel_dropout));
    in = w;
  }
  register_module("funnel", funnel_);
  const int64_t shared = in;

  rul_head_ = nn::Sequential();
  for (int w : c.rul_head) {
    rul_head_->push_back(nn::Linear(in, w));
    rul_head_->push_back(nn::ReLU());
    in = w;
  }
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

  health_head_ = nn::Sequential();
  in = shared;
  for (int w : c.health_head) {
    health_head_->push_back(nn::Linear(in, w));
    health_head_->push_back(nn::ReLU());
    in = w;
  }
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
