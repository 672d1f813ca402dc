#pragma once
// Analytic floating-point operations of one DualTaskModel training sample, to compare an epoch's
// achieved rate with the machine's measured matmul peak (bench/RESULTS.md, "distance to the
// limit"). A multiply-add counts 2. Only the matrix products are counted (convolutions, LSTM gate
// products, attention projections and scores, linear layers): BatchNorm, activations, LayerNorm,
// softmax, the loss and the optimiser are O(parameters) or O(activations) elementwise work,
// below 2% of the total at every preset, and memory-bound anyway. Training = 3 x forward (the
// backward pass computes two products per forward product: gradients of inputs and weights).
#include <cstdint>

#include "common/recipe_config.h"

namespace amnl::bench {

inline double forward_flops_per_sample(const RecipeConfig& c, int64_t features) {
  const double w = c.data.window;
  double f = 0;
  double in = static_cast<double>(features);
  for (int ch : c.model.conv_channels) {  // Conv1d k=3: in x ch x 3 multiply-adds per time step
    f += 2.0 * in * ch * 3 * w;
    in = ch;
  }
  const double h = c.model.lstm_hidden;
  for (int layer = 0; layer < c.model.lstm_layers; ++layer) {  // 4 gates, input + recurrent
    f += 2 /*directions*/ * w * 2.0 * 4 * h * (in + h);
    in = 2 * h;
  }
  const double e = 2 * h;
  f += 2.0 * w * 3 * e * e;  // q, k, v projections
  f += 2.0 * w * w * e * 2;  // scores q.k and the weighted sum of v, over all heads
  f += 2.0 * w * e * e;      // output projection
  auto linears = [&f](double from, const std::vector<int>& widths, int out) {
    for (int wd : widths) {
      f += 2.0 * from * wd;
      from = wd;
    }
    f += 2.0 * from * out;
    return from;
  };
  // The funnel (its last width is the shared output), then the two heads.
  double shared = e;
  for (int wd : c.model.funnel) {
    f += 2.0 * shared * wd;
    shared = wd;
  }
  linears(shared, c.model.rul_head, 1);
  linears(shared, c.model.health_head, c.model.classes);
  return f;
}

inline double training_flops_per_sample(const RecipeConfig& c, int64_t features) {
  return 3.0 * forward_flops_per_sample(c, features);
}

}  // namespace amnl::bench
