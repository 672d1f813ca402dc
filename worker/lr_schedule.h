#pragma once
// The learning-rate schedule of amnl.md ("Optimisation"): a linear warm-up factor over the first
// epochs, then ReduceLROnPlateau on validation RMSE. A plain class (no torch) so its whole state
// is a small JSON object in every checkpoint and resumes exactly.
#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "common/recipe_config.h"
#include "common/status.h"

namespace amnl::worker {

struct LrScheduleOptions {
  double base_lr = 1e-3;
  int warmup_epochs = 10;
  double warmup_start_factor = 0.1;  // factor start + (1 - start) * e / warmup_epochs
  double factor = 0.5;
  int patience = 30;
  double min_lr = 5e-6;
  // As torch.optim.lr_scheduler.ReduceLROnPlateau (mode "min", threshold_mode "rel", eps):
  // an epoch improves when metric < best * (1 - threshold); reductions below eps are skipped.
  double threshold = 1e-4;
  double eps = 1e-8;
};

// The one conversion from a recipe: optimizer.lr and the schedule section. threshold and eps are
// torch's ReduceLROnPlateau defaults, not recipe keys.
inline LrScheduleOptions lr_schedule_options(const RecipeConfig& c) {
  LrScheduleOptions o;
  o.base_lr = c.optimizer.lr;
  o.warmup_epochs = c.schedule.warmup_epochs;
  o.warmup_start_factor = c.schedule.warmup_start_factor;
  o.factor = c.schedule.plateau_factor;
  o.patience = c.schedule.plateau_patience;
  o.min_lr = c.schedule.min_lr;
  return o;
}

class LrSchedule {
 public:
  explicit LrSchedule(LrScheduleOptions o = {}) : o_(o), plateau_lr_(o.base_lr) {}

  // The learning rate for epoch `epoch` (0-based).
  double lr_for_epoch(int epoch) const {
    if (epoch < o_.warmup_epochs)
      return o_.base_lr * (o_.warmup_start_factor + (1.0 - o_.warmup_start_factor) * epoch / o_.warmup_epochs);
    return plateau_lr_;
  }

  // End of epoch `epoch` (0-based) with its validation RMSE. The plateau logic only watches
  // epochs after the warm-up, whose lr is still moving by design. Returns true when it reduced.
  bool end_epoch(int epoch, double metric) {
    if (epoch < o_.warmup_epochs) return false;
    if (metric < best_ * (1.0 - o_.threshold)) {
      best_ = metric;
      bad_epochs_ = 0;
      return false;
    }
    if (++bad_epochs_ <= o_.patience) return false;
    bad_epochs_ = 0;
    const double next = std::max(plateau_lr_ * o_.factor, o_.min_lr);
    if (plateau_lr_ - next <= o_.eps) return false;
    plateau_lr_ = next;
    ++reductions_;
    return true;
  }

  double plateau_lr() const { return plateau_lr_; }
  double best() const { return best_; }
  int bad_epochs() const { return bad_epochs_; }
  int reductions() const { return reductions_; }

  nlohmann::json to_json() const {
    // JSON has no infinity: "no best yet" is null.
    return {{"plateau_lr", plateau_lr_},
            {"best", std::isfinite(best_) ? nlohmann::json(best_) : nlohmann::json()},
            {"bad_epochs", bad_epochs_},
            {"reductions", reductions_}};
  }
  Status from_json(const nlohmann::json& j) {
    try {
      plateau_lr_ = j.at("plateau_lr").get<double>();
      best_ = j.at("best").is_null() ? kNoBest : j.at("best").get<double>();
      bad_epochs_ = j.at("bad_epochs").get<int>();
      reductions_ = j.at("reductions").get<int>();
    } catch (const std::exception& e) {
      return Status::Error(std::string("scheduler state: ") + e.what());
    }
    return Status::Ok();
  }

 private:
  static constexpr double kNoBest = std::numeric_limits<double>::infinity();
  LrScheduleOptions o_;
  double plateau_lr_;
  double best_ = kNoBest;
  int bad_epochs_ = 0;
  int reductions_ = 0;
};

}  // namespace amnl::worker
