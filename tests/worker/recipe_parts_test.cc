// The recipe of amnl.md piece by piece, outside the loop: the loss on each scale of
// recipe.loss.rul_scale, one optimiser step with global-norm gradient clipping, and the
// architecture beyond its parameter count (layer order and rates, dropout only in training,
// post-norm attention with a residual, last-step pooling).
#include <gtest/gtest.h>

#include <cmath>

#include "common/recipe_config.h"
#include "worker/ema.h"
#include "worker/loss.h"
#include "worker/model.h"
#include "worker/train_step.h"

namespace amnl::worker {
namespace {

namespace nn = torch::nn;

RecipeConfig tiny() { return *RecipeConfig::preset("tiny"); }

// ---- loss.rul_scale ----

TEST(RecipeLossScale, DefaultIsNormalisedAndTheKeyIsValidatedWithItsPath) {
  EXPECT_EQ(RecipeConfig().loss.rul_scale, "normalised");
  auto cycles = RecipeConfig::from_json({{"loss", {{"rul_scale", "cycles"}}}});
  ASSERT_TRUE(cycles.ok()) << cycles.message();
  EXPECT_EQ(cycles->loss.rul_scale, "cycles");
  EXPECT_EQ(cycles->identity_json()["loss"]["rul_scale"], "cycles");
  EXPECT_EQ(RecipeConfig::from_json(cycles->to_json())->to_json(), cycles->to_json());
  auto bad = RecipeConfig::from_json({{"loss", {{"rul_scale", "meters"}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(), "recipe.loss.rul_scale: must be one of \"normalised\", \"cycles\", got \"meters\"");
  auto wrong_type = RecipeConfig::from_json({{"loss", {{"rul_scale", 125}}}});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.message(), "recipe.loss.rul_scale: must be a string, got 125");
}

TEST(RecipeLossScale, EachScaleComputesTheLossItNames) {
  RecipeConfig c;  // R_max 125, weights 0.5 / 0.5
  // Model outputs and targets are RUL / R_max: targets 0 (failure, w = 2) and 100 cycles
  // (w = 1 + (1 - 0.8) = 1.2); predictions 25 and 90 cycles.
  const auto pred = torch::tensor({25.0 / 125, 90.0 / 125});
  const auto truth = torch::tensor({0.0, 100.0 / 125});
  const auto logits = torch::zeros({2, 3});
  const auto cls = torch::tensor({2, 0}, torch::kInt64);
  const double ce = std::log(3.0);

  c.loss.rul_scale = "normalised";
  const double normalised = (2.0 * 0.2 * 0.2 + 1.2 * 0.08 * 0.08) / 2;  // errors 25/125, 10/125
  auto l = amnl_loss(pred, truth, logits, cls, c);
  EXPECT_NEAR(l.rul.item<double>(), normalised, 1e-6);
  EXPECT_NEAR(l.total.item<double>(), 0.5 * normalised + 0.5 * ce, 1e-6);

  c.loss.rul_scale = "cycles";
  const double in_cycles = (2.0 * 25 * 25 + 1.2 * 10 * 10) / 2;  // 685 cycles^2
  l = amnl_loss(pred, truth, logits, cls, c);
  EXPECT_NEAR(l.rul.item<double>(), in_cycles, 1e-3);
  EXPECT_NEAR(l.total.item<double>(), 0.5 * in_cycles + 0.5 * ce, 1e-3);
  EXPECT_NEAR(l.health.item<double>(), ce, 1e-6);

  // R_max comes from the recipe's data section.
  c.data.r_max = 250;
  EXPECT_NEAR(amnl_loss(pred, truth, logits, cls, c).rul.item<double>(), normalised * 250 * 250, 1e-2);
}

// ---- one optimiser step ----

struct Step {
  DualTaskModel model{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::unique_ptr<Ema> ema;
  explicit Step(const RecipeConfig& c) {
    torch::manual_seed(4);
    model = DualTaskModel(c.model, 5);
    optimizer = std::make_unique<torch::optim::AdamW>(model->parameters(), torch::optim::AdamWOptions(1e-3));
    ema = std::make_unique<Ema>(*model, c.ema_decay);
  }
  double grad_norm() const {
    double s = 0;
    for (const auto& p : model->parameters())
      if (p.grad().defined()) s += p.grad().pow(2).sum().item<double>();
    return std::sqrt(s);
  }
};

struct Batch {
  torch::Tensor x, rul, health;
};
Batch batch(double rul) {
  torch::manual_seed(5);
  return {torch::randn({16, 30, 5}), torch::full({16}, rul), torch::zeros({16}, torch::kInt64)};
}

TEST(RecipeTrainStep, AHugeGradientIsClippedToTheGlobalNorm) {
  RecipeConfig c = tiny();
  c.model.conv_dropout = c.model.lstm_dropout = c.model.attention_dropout = c.model.funnel_dropout = 0;
  c.loss.rul_scale = "cycles";
  c.grad_clip = 1.0;
  Step s(c);
  const Batch b = batch(40.0);  // 40 R_max, on cycles: a huge RUL term
  const StepResult r = train_step(s.model, *s.optimizer, *s.ema, b.x, b.rul, b.health, c);
  ASSERT_TRUE(r.stepped);
  EXPECT_GT(r.grad_norm, 1000.0) << "precondition: a huge gradient";
  EXPECT_NEAR(s.grad_norm(), 1.0, 1e-4);

  // Under the limit nothing is scaled.
  c.grad_clip = 1e12;
  Step t(c);
  const StepResult u = train_step(t.model, *t.optimizer, *t.ema, b.x, b.rul, b.health, c);
  EXPECT_NEAR(t.grad_norm(), u.grad_norm, 1e-6 * u.grad_norm);
}

TEST(RecipeTrainStep, TheRulTermIsOnTheRecipesScaleAndTheEmaFollowsTheStep) {
  RecipeConfig c = tiny();
  c.model.conv_dropout = c.model.lstm_dropout = c.model.attention_dropout = c.model.funnel_dropout = 0;
  const Batch b = batch(0.3);
  Step n(c);
  const auto before = clone_tensors(n.ema->shadow());
  const StepResult rn = train_step(n.model, *n.optimizer, *n.ema, b.x, b.rul, b.health, c);
  c.loss.rul_scale = "cycles";
  Step k(c);  // the same initial weights (same seed)
  const StepResult rk = train_step(k.model, *k.optimizer, *k.ema, b.x, b.rul, b.health, c);
  EXPECT_NEAR(rk.loss.rul.item<double>(), rn.loss.rul.item<double>() * 125 * 125, 1e-4 * rk.loss.rul.item<double>());
  EXPECT_NEAR(rk.loss.health.item<double>(), rn.loss.health.item<double>(), 1e-6);
  // EMA after the step: decay x before + (1 - decay) x the new weights.
  const auto p0 = n.model->parameters()[0];
  EXPECT_TRUE(torch::allclose(n.ema->shadow()[0], c.ema_decay * before[0] + (1 - c.ema_decay) * p0.detach(), 1e-5,
                              1e-7));
  EXPECT_FALSE(torch::equal(n.ema->shadow()[0], before[0]));
}

TEST(RecipeTrainStep, ANonFiniteLossChangesNothing) {
  RecipeConfig c = tiny();
  Step s(c);
  Batch b = batch(0.3);
  b.rul[0] = NAN;
  const auto weights = clone_tensors(s.ema->shadow());
  const StepResult r = train_step(s.model, *s.optimizer, *s.ema, b.x, b.rul, b.health, c);
  EXPECT_FALSE(r.stepped);
  EXPECT_TRUE(std::isnan(r.total));
  for (size_t i = 0; i < weights.size(); ++i) EXPECT_TRUE(torch::equal(s.ema->shadow()[i], weights[i]));
}

// ---- architecture ----

// The model's blocks by name, as registered.
std::shared_ptr<nn::Module> child(DualTaskModel& m, const std::string& name) {
  for (const auto& c : m->named_children())
    if (c.key() == name) return c.value();
  ADD_FAILURE() << "no child module " << name;
  return nullptr;
}
std::vector<std::shared_ptr<nn::Module>> layers(DualTaskModel& m, const std::string& name) {
  return child(m, name)->children();
}
template <typename T>
T* as(const std::shared_ptr<nn::Module>& m) {
  return dynamic_cast<T*>(m.get());
}

RecipeConfig::Model distinct_rates() {
  RecipeConfig::Model c = tiny().model;
  c.conv_dropout = 0.15;
  c.lstm_dropout = 0.3;
  c.attention_dropout = 0.1;
  c.funnel_dropout = 0.25;
  return c;
}

TEST(RecipeArchitecture, LayersInTheOrderAndWithTheRatesOfTheTable) {
  const RecipeConfig::Model c = distinct_rates();
  DualTaskModel m(c, 17);
  const auto conv = layers(m, "conv");
  ASSERT_EQ(conv.size(), 4 * c.conv_channels.size());
  int64_t in = 17;
  for (size_t i = 0; i < c.conv_channels.size(); ++i) {
    auto* conv1d = as<nn::Conv1dImpl>(conv[4 * i]);
    ASSERT_TRUE(conv1d) << "block " << i;
    EXPECT_EQ(conv1d->options.in_channels(), in);
    EXPECT_EQ(conv1d->options.out_channels(), c.conv_channels[i]);
    EXPECT_EQ(conv1d->options.kernel_size()->at(0), 3);
    EXPECT_EQ(c10::get<torch::ExpandingArray<1>>(conv1d->options.padding())->at(0), 1);
    EXPECT_TRUE(as<nn::BatchNorm1dImpl>(conv[4 * i + 1])) << "block " << i;
    EXPECT_TRUE(as<nn::ReLUImpl>(conv[4 * i + 2])) << "block " << i;
    auto* drop = as<nn::DropoutImpl>(conv[4 * i + 3]);
    ASSERT_TRUE(drop) << "block " << i;
    EXPECT_DOUBLE_EQ(drop->options.p(), c.conv_dropout);
    in = c.conv_channels[i];
  }
  auto* lstm = as<nn::LSTMImpl>(child(m, "lstm"));
  ASSERT_TRUE(lstm);
  EXPECT_TRUE(lstm->options.bidirectional());
  EXPECT_TRUE(lstm->options.batch_first());
  EXPECT_EQ(lstm->options.num_layers(), c.lstm_layers);
  EXPECT_EQ(lstm->options.hidden_size(), c.lstm_hidden);
  EXPECT_DOUBLE_EQ(lstm->options.dropout(), c.lstm_dropout);
  auto* attention = as<nn::MultiheadAttentionImpl>(child(m, "attention"));
  ASSERT_TRUE(attention);
  EXPECT_EQ(attention->options.num_heads(), c.attention_heads);
  EXPECT_EQ(attention->options.embed_dim(), 2 * c.lstm_hidden);
  EXPECT_DOUBLE_EQ(attention->options.dropout(), c.attention_dropout);
  EXPECT_TRUE(as<nn::LayerNormImpl>(child(m, "norm")));
  const auto funnel = layers(m, "funnel");
  ASSERT_EQ(funnel.size(), 3 * c.funnel.size());
  for (size_t i = 0; i < c.funnel.size(); ++i) {
    EXPECT_TRUE(as<nn::LinearImpl>(funnel[3 * i]));
    EXPECT_TRUE(as<nn::ReLUImpl>(funnel[3 * i + 1]));
    auto* drop = as<nn::DropoutImpl>(funnel[3 * i + 2]);
    ASSERT_TRUE(drop);
    EXPECT_DOUBLE_EQ(drop->options.p(), c.funnel_dropout);
  }
  // RUL head: ReLU after every Linear, the last included (RUL >= 0); health head: logits out.
  const auto rul = layers(m, "rul_head");
  ASSERT_EQ(rul.size(), 2 * (c.rul_head.size() + 1));
  for (size_t i = 0; i < rul.size(); i += 2) {
    EXPECT_TRUE(as<nn::LinearImpl>(rul[i]));
    EXPECT_TRUE(as<nn::ReLUImpl>(rul[i + 1]));
  }
  EXPECT_EQ(as<nn::LinearImpl>(rul[rul.size() - 2])->options.out_features(), 1);
  const auto health = layers(m, "health_head");
  ASSERT_EQ(health.size(), 2 * c.health_head.size() + 1);
  EXPECT_TRUE(as<nn::LinearImpl>(health.back()));
  EXPECT_EQ(as<nn::LinearImpl>(health.back())->options.out_features(), 3);
}

TEST(RecipeArchitecture, DropoutActsInTrainingOnly) {
  torch::manual_seed(6);
  DualTaskModel m(distinct_rates(), 17);
  const auto x = torch::randn({8, 30, 17});
  m->train();
  EXPECT_FALSE(torch::equal(m->forward(x).logits, m->forward(x).logits)) << "dropout is off in training";
  m->eval();
  EXPECT_TRUE(torch::equal(m->forward(x).logits, m->forward(x).logits)) << "something random in evaluation";
  // Without dropout, training mode is deterministic too: the difference above is dropout's.
  RecipeConfig::Model none = distinct_rates();
  none.conv_dropout = none.lstm_dropout = none.attention_dropout = none.funnel_dropout = 0;
  DualTaskModel d(none, 17);
  d->train();
  EXPECT_TRUE(torch::equal(d->forward(x).logits, d->forward(x).logits));
}

// The forward pass rebuilt from the model's own modules, block by block, with the shapes of the
// table: (B, C, 30) after the CNN, (B, 30, 2H) after the BiLSTM, post-norm residual attention,
// the last time step into the funnel. Alternatives (pre-norm, no residual, mean pooling, first
// step) give other outputs, so agreement pins the structure down.
TEST(RecipeArchitecture, PostNormResidualAttentionAndLastStepPooling) {
  torch::manual_seed(7);
  const RecipeConfig::Model c = distinct_rates();
  DualTaskModel m(c, 17);
  m->eval();
  torch::NoGradGuard no_grad;
  const int64_t B = 4, W = 30, E = 2 * c.lstm_hidden;
  const auto x = torch::randn({B, W, 17});
  auto* conv = as<nn::SequentialImpl>(child(m, "conv"));
  auto* lstm = as<nn::LSTMImpl>(child(m, "lstm"));
  auto* attention = as<nn::MultiheadAttentionImpl>(child(m, "attention"));
  auto* norm = as<nn::LayerNormImpl>(child(m, "norm"));
  auto* funnel = as<nn::SequentialImpl>(child(m, "funnel"));
  auto* rul_head = as<nn::SequentialImpl>(child(m, "rul_head"));
  auto* health_head = as<nn::SequentialImpl>(child(m, "health_head"));

  const auto h = conv->forward(x.transpose(1, 2));
  EXPECT_EQ(h.sizes(), (std::vector<int64_t>{B, c.conv_channels.back(), W}));
  const auto seq = std::get<0>(lstm->forward(h.transpose(1, 2)));
  EXPECT_EQ(seq.sizes(), (std::vector<int64_t>{B, W, E}));
  const auto t = seq.transpose(0, 1);
  const auto attend = [&](const torch::Tensor& q) { return std::get<0>(attention->forward(q, q, q)); };
  const auto post = norm->forward(t + attend(t));
  EXPECT_EQ(post.sizes(), (std::vector<int64_t>{W, B, E}));
  const auto heads = [&](const torch::Tensor& pooled) {
    const auto shared = funnel->forward(pooled);
    EXPECT_EQ(shared.sizes(), (std::vector<int64_t>{B, c.funnel.back()}));
    return std::make_pair(rul_head->forward(shared).squeeze(-1), health_head->forward(shared));
  };
  const auto expected = heads(post[W - 1]);
  const auto out = m->forward(x);
  EXPECT_TRUE(torch::allclose(out.rul, expected.first, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out.logits, expected.second, 1e-5, 1e-6));

  const auto differs = [&](const std::pair<torch::Tensor, torch::Tensor>& alt) {
    return !torch::allclose(out.logits, alt.second, 1e-4, 1e-5);
  };
  EXPECT_TRUE(differs(heads((t + attend(norm->forward(t)))[W - 1]))) << "pre-norm would pass";
  EXPECT_TRUE(differs(heads(norm->forward(attend(t))[W - 1]))) << "no residual would pass";
  EXPECT_TRUE(differs(heads(post.mean(0)))) << "mean pooling would pass";
  EXPECT_TRUE(differs(heads(post[0]))) << "first-step pooling would pass";
}

}  // namespace
}  // namespace amnl::worker
