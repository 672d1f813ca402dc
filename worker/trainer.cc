#include "worker/trainer.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>

#include <spdlog/spdlog.h>

#include "worker/allocator.h"
#include "worker/batching.h"
#include "worker/checkpoint_format.h"
#include "worker/checkpoint_store.h"
#include "worker/ema.h"
#include "worker/loss.h"
#include "worker/lr_schedule.h"
#include "worker/metrics.h"
#include "worker/model.h"
#include "worker/train_step.h"

namespace amnl::worker {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace hk = job_files::history_key;
namespace mk = job_files::metrics_key;
namespace vk = job_files::validation_key;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The shuffling stream must differ from the validation split's, which the data pipeline draws
// from an mt19937_64 seeded with the job's seed itself: splitmix64 of a tagged seed.
uint64_t shuffle_seed(int64_t seed) {
  uint64_t z = static_cast<uint64_t>(seed) ^ 0x73687566666c65ULL;  // "shuffle"
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

torch::Tensor cpu_rng_state() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_cpu_rng_state(const torch::Tensor& state) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

// "recipe.model.lstm_hidden is 8 there but 16 here", or nullopt when the recipes are equal.
std::optional<std::string> recipe_difference(const json& theirs, const json& mine) {
  auto key = first_json_difference(theirs, mine, "recipe");
  if (!key) return std::nullopt;
  // The value at the key (a whole array for "recipe.model.funnel[1]").
  std::string path = key->substr(std::string("recipe").size());
  path = path.substr(0, path.find('['));
  for (auto& ch : path)
    if (ch == '.') ch = '/';
  const json::json_pointer ptr(path);
  auto value = [&](const json& j) { return j.contains(ptr) ? j.at(ptr).dump() : std::string("absent"); };
  return *key + " is " + value(theirs) + " there but " + value(mine) + " here";
}

JobResult ended(JobEnd end, std::string reason) {
  JobResult r;
  r.end = end;
  r.reason = std::move(reason);
  return r;
}

class Trainer {
 public:
  explicit Trainer(TrainerSetup& s)
      : s_(s), cfg_(s.recipe), req_(*s.request), device_(s.device), shuffler_(0),
        store_(s.storage, req_.job_dir + "/" + job_files::kCheckpointsDir, req_.fence, s.callbacks->still_owner) {}

  JobResult run();

 private:
  void build_fresh();
  NamedTensors live() const;
  // nullopt: resumed or nothing to resume; a JobResult: refuse (another recipe) or fenced.
  std::optional<JobResult> resume();
  Result<LoadedCheckpoint> read_checkpoint(const CheckpointInfo& c, const std::string& label);
  std::optional<std::string> refusal_of(const LoadedCheckpoint& ck, const std::string& label) const;
  Status load_checkpoint(LoadedCheckpoint& ck, const std::string& label);
  void adopt_checkpoint_state(const LoadedCheckpoint& ck, const std::string& label, int written_by);
  bool owner() const { return !s_.callbacks->still_owner || s_.callbacks->still_owner(); }
  std::optional<JobResult> write_checkpoint(CheckpointKind kind, std::string* path);
  std::optional<JobResult> write_file(const std::string& name, const std::string& bytes);
  void progress(const std::string& checkpoint, double epoch_seconds);
  bool selects_on_test() const { return cfg_.data.selection == "test"; }

  // run(): check the data, start fresh or resume, train epoch by epoch, finish.
  std::optional<JobResult> check_windows() const;
  void remove_killed_writes();
  std::optional<JobResult> resume_or_clear();
  // One epoch (or the rest of a resumed one); a JobResult ends the job (diverged, stopped, fenced).
  std::optional<JobResult> run_epoch();
  std::optional<JobResult> train_batches(int e, double lr, const torch::Tensor& perm, Clock::time_point t0);
  JobResult diverged(double total, int e, int64_t b, double lr);
  JobResult stop_with_emergency_checkpoint(int e, int64_t b, int64_t batches, Clock::time_point t0);
  struct SelectionMetrics {
    double val_rmse = std::nan("");  // of the recipe's validation kind (data.validation)
    double val_last_window_rmse = std::nan("");
    double val_all_windows_rmse = std::nan("");
    double test_rmse = std::nan("");
    double selection = std::nan("");  // the one that drives the schedule, selection, early stopping
  };
  SelectionMetrics evaluate_ema();
  bool select_if_best(int e, double metric);
  json close_epoch(int e, double lr, const SelectionMetrics& m, bool improved, double seconds);
  void log_epoch(const json& rec, double metric, bool improved, double lr, double seconds);
  std::optional<JobResult> write_epoch_checkpoints(bool improved, double seconds);

  // finish(): evaluate the best weights, write the deployment model and the job's result files.
  JobResult finish();
  NamedTensors restore_best_weights();
  json final_metrics(const NamedTensors& weights, const Predictions& tp, const Predictions& vp,
                     const Predictions& cp, double wall) const;
  json validation_protocol() const;
  bool validates_on_last_window() const { return cfg_.data.validation == "last_window"; }
  Predictions predict_set(const WindowTensors& set);
  json model_meta(const json& metrics) const;
  std::string history_csv() const;
  std::string test_predictions_csv(const Predictions& tp) const;

  TrainerSetup& s_;
  const RecipeConfig& cfg_;
  const JobRequest& req_;
  torch::Device device_;
  WindowTensors train_, val_, test_;
  WindowTensors val_cuts_;  // the last window before each cut point of the held-out units
  DualTaskModel model_{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::unique_ptr<Ema> ema_;
  LrSchedule schedule_;
  Shuffler shuffler_;
  TrainState st_;
  std::vector<torch::Tensor> best_ema_;
  CheckpointStore store_;
  std::vector<std::string> names_;
  // The selection metric of this attempt's latest evaluated epoch; NaN until it evaluated one, so
  // that the reports before that (epoch 0, the first epoch's batches, a resumed attempt's first
  // batches) say "not measured" rather than a 0.0 that reads as perfect.
  double last_val_rmse_ = std::numeric_limits<double>::quiet_NaN();
  double last_val_all_windows_rmse_ = std::numeric_limits<double>::quiet_NaN();  // the second curve
  int resumed_from_ = -1;
  double epoch_seconds_total_ = 0;  // this attempt's epochs, for the ETA
  int epochs_timed_ = 0;
};

void Trainer::build_fresh() {
  // Weight initialisation draws from the default generator: seeding it first makes a fresh
  // job's initial weights a function of its seed alone.
  torch::manual_seed(static_cast<uint64_t>(req_.seed));
  model_ = DualTaskModel(cfg_.model, s_.data.train.num_features);
  model_->to(device_);
  optimizer_ = make_adamw(model_, cfg_.optimizer);
  ema_ = std::make_unique<Ema>(*model_, cfg_.ema_decay);
  schedule_ = LrSchedule(lr_schedule_options(cfg_));
  shuffler_ = Shuffler(shuffle_seed(req_.seed));
  best_ema_.clear();
  names_.clear();
  for (auto& [name, t] : state_tensors(*model_)) names_.push_back(name);

  st_ = TrainState{};
  st_.recipe = cfg_.to_json();
  st_.scaler = s_.data.scaler.to_json();
  st_.dataset = req_.dataset;
  st_.seed = req_.seed;
  st_.shuffle_state = shuffler_.state();
  st_.schedule = schedule_.to_json();
  st_.attempt = req_.attempt;
  st_.threads = s_.threads;
}

NamedTensors Trainer::live() const {
  NamedTensors nt;
  for (auto& [name, t] : state_tensors(*model_)) {
    nt.names.push_back(name);
    nt.tensors.push_back(t);
  }
  return nt;
}

std::optional<JobResult> Trainer::resume() {
  std::vector<std::string> notes;
  // Fenced: the newest lineage's checkpoints become this attempt's own first (checkpoint_store.h).
  if (Status t = store_.take_over(&notes); !t.ok())
    return ended(store_.lost_lease() ? JobEnd::kFenced : JobEnd::kStorageFailed, "taking over " + t.message());
  const auto candidates = store_.candidates(&notes);
  for (const auto& n : notes) s_.log->warn("{}", n);
  for (const auto& c : candidates) {
    const std::string label = store_.path_of(c.file);
    auto ck = read_checkpoint(c, label);
    if (!ck.ok()) {
      s_.log->warn("skipping checkpoint {}", ck.message());
      continue;
    }
    if (auto refusal = refusal_of(*ck, label)) return ended(JobEnd::kFailed, *refusal);
    if (Status ok = load_checkpoint(*ck, label); !ok.ok()) {
      s_.log->warn("skipping checkpoint {}", ok.message());
      build_fresh();
      continue;
    }
    adopt_checkpoint_state(*ck, label, c.attempt);
    return std::nullopt;
  }
  if (!candidates.empty()) s_.log->warn("no checkpoint in {} verifies: starting afresh", store_.dir());
  return std::nullopt;
}

Result<LoadedCheckpoint> Trainer::read_checkpoint(const CheckpointInfo& c, const std::string& label) {
  auto bytes = store_.read_verified(c);
  if (!bytes.ok()) return Status::Error(bytes.message());
  return parse_checkpoint(*bytes, label);
}

// Another recipe, dataset, seed or data is not a damaged file but a different job: the whole
// attempt refuses, rather than skipping to an older checkpoint of that other job.
std::optional<std::string> Trainer::refusal_of(const LoadedCheckpoint& ck, const std::string& label) const {
  json theirs = ck.state.recipe;
  if (theirs.is_object()) theirs.erase("checkpoint");
  if (auto diff = recipe_difference(theirs, cfg_.identity_json()))
    return label + " was written by another recipe: " + *diff + "; refusing to resume from it";
  if (ck.state.dataset != req_.dataset || ck.state.seed != req_.seed)
    return label + " belongs to " + ck.state.dataset + " seed " + std::to_string(ck.state.seed) +
           ", not to this job";
  auto scaler = data::ScalerParams::from_json(ck.state.scaler);
  if (!scaler.ok() || *scaler != s_.data.scaler)
    return label + ": its scaler params differ from those fitted on the data now in " + req_.data_dir +
           " (changed data files?); refusing to resume from it";
  return std::nullopt;
}

// Checks every part against a freshly built model before copying any of it, so that a
// checkpoint that fails half-way leaves nothing behind (the caller rebuilds fresh).
Status Trainer::load_checkpoint(LoadedCheckpoint& ck, const std::string& label) {
  build_fresh();
  NamedTensors model = live();
  Status ok = check_tensors_like(ck.tensors.model, model, "the checkpoint's model").with_context(label);
  if (ok.ok()) ok = check_tensors_like(ck.tensors.ema, model, "the checkpoint's EMA").with_context(label);
  if (ok.ok() && !ck.tensors.best_ema.names.empty())
    ok = check_tensors_like(ck.tensors.best_ema, model, "the checkpoint's best EMA").with_context(label);
  if (ok.ok()) ok = load_optimizer(ck, *optimizer_, label);
  if (ok.ok()) ok = schedule_.from_json(ck.state.schedule).with_context(label);
  if (ok.ok()) ok = shuffler_.set_state(ck.state.shuffle_state).with_context(label);
  if (ok.ok()) {
    try {
      set_cpu_rng_state(ck.tensors.torch_rng);
    } catch (const std::exception& e) {
      ok = Status::Error(label + ": torch generator state unusable");
    }
  }
  if (!ok.ok()) return ok;
  torch::NoGradGuard no_grad;
  copy_tensors(ck.tensors.model.tensors, model.tensors);
  copy_tensors(ck.tensors.ema.tensors, ema_->shadow());
  for (const auto& t : ck.tensors.best_ema.tensors) best_ema_.push_back(t.to(device_).clone());
  return Status::Ok();
}

void Trainer::adopt_checkpoint_state(const LoadedCheckpoint& ck, const std::string& label, int written_by) {
  if (ck.state.threads > 0 && ck.state.threads != s_.threads)
    s_.log->warn("{} was written with {} threads, this attempt runs {}: the result will not be bit-identical to "
                 "an uninterrupted run (reductions split work by thread)",
                 label, ck.state.threads, s_.threads);
  st_ = ck.state;
  st_.recipe = cfg_.to_json();  // the checkpoint policy may have changed; the rest is equal
  st_.resumes += 1;
  st_.attempt = req_.attempt;
  st_.threads = s_.threads;
  resumed_from_ = st_.epochs_done;
  s_.log->info("resuming from {} ({} epochs and {} batches done, written by attempt {})", label, st_.epochs_done,
               st_.batch_in_epoch, written_by);
}

std::optional<JobResult> Trainer::write_checkpoint(CheckpointKind kind, std::string* path) {
  if (!owner()) return ended(JobEnd::kFenced, "a newer attempt owns the job; checkpoint not written");
  st_.schedule = schedule_.to_json();
  CheckpointTensors t;
  t.model = live();
  t.ema = {names_, ema_->shadow()};
  if (!best_ema_.empty()) t.best_ema = {names_, best_ema_};
  t.torch_rng = cpu_rng_state();
  CheckpointInfo info;
  info.file = checkpoint_file_name(kind, st_.epochs_done);
  info.kind = kind;
  info.epoch = st_.epochs_done;
  info.batch = st_.batch_in_epoch;
  info.attempt = st_.attempt;
  const std::string bytes = serialize_checkpoint(st_, t, *optimizer_);
  Status w = store_.put(info, bytes, cfg_.checkpoint.keep_last);
  if (!w.ok() && store_.lost_lease()) return ended(JobEnd::kFenced, w.message());
  if (!w.ok())
    return ended(JobEnd::kStorageFailed, "writing checkpoint " + store_.path_of(info.file) + ": " + w.message());
  *path = store_.path_of(info.file);
  return std::nullopt;
}

std::optional<JobResult> Trainer::write_file(const std::string& name, const std::string& bytes) {
  if (!owner()) return ended(JobEnd::kFenced, "a newer attempt owns the job; " + name + " not written");
  const CommitResult w = commit_file(*s_.storage, req_.job_dir + "/" + name, bytes, req_.fence,
                                     s_.callbacks->still_owner);
  if (w.fenced) return ended(JobEnd::kFenced, "a newer attempt owns the job; " + name + " not committed");
  if (!w.status.ok())
    return ended(JobEnd::kStorageFailed, "writing " + req_.job_dir + "/" + name + ": " + w.status.message());
  return std::nullopt;
}

void Trainer::progress(const std::string& checkpoint, double epoch_seconds) {
  if (!s_.callbacks->on_progress) return;
  JobProgress p;
  p.epoch = st_.epochs_done;
  p.max_epochs = cfg_.max_epochs;
  p.early_stop_epoch =
      std::min(cfg_.max_epochs, st_.epochs_done + std::max(0, cfg_.early_stop_patience - st_.bad_epochs));
  p.val_rmse = last_val_rmse_;
  p.val_all_windows_rmse = last_val_all_windows_rmse_;
  if (std::isfinite(st_.best_metric)) p.best_val_rmse = st_.best_metric;  // else stays unmeasured
  p.epoch_seconds = epoch_seconds;
  p.batches_done = st_.batches_done;
  p.checkpoint = checkpoint;
  s_.callbacks->on_progress(p);
}

JobResult Trainer::run() {
  tune_allocator_for_training();
  if (auto unusable = check_windows()) return *unusable;
  train_ = make_window_tensors(s_.data.train, cfg_.data.r_max, device_);
  val_ = make_window_tensors(s_.data.val, cfg_.data.r_max, device_);
  val_cuts_ = make_window_tensors(s_.data.val_cuts, cfg_.data.r_max, device_);
  test_ = make_window_tensors(s_.data.test, cfg_.data.r_max, device_);

  build_fresh();
  s_.log->info("{} seed {}: model {} parameters; {} train / {} val windows ({} cut-point windows of {} units; "
               "selection on {}), {} test units; device {}, {} threads",
               req_.dataset, req_.seed, count_parameters(*model_), train_.size(), val_.size(), val_cuts_.size(),
               s_.data.val_units.size(), selects_on_test() ? "test (leaks)" : cfg_.data.validation, test_.size(),
               s_.device, s_.threads);
  if (owner()) remove_killed_writes();
  if (auto stopped = resume_or_clear()) return *stopped;

  while (st_.epochs_done < cfg_.max_epochs && st_.bad_epochs < cfg_.early_stop_patience)
    if (auto stopped = run_epoch()) return *stopped;
  if (st_.bad_epochs >= cfg_.early_stop_patience)
    s_.log->info("early stop after epoch {}: no improvement for {} epochs (best epoch {})", st_.epochs_done,
                 st_.bad_epochs, st_.best_epoch);
  return finish();
}

std::optional<JobResult> Trainer::check_windows() const {
  if (s_.data.train.size() == 0) return ended(JobEnd::kFailed, "no training windows in " + req_.dataset);
  if (s_.data.val.size() == 0 && cfg_.data.selection == "validation")
    return ended(JobEnd::kFailed, "no validation windows (recipe.data.val_fraction too small for " +
                                      std::to_string(s_.data.train_units.size()) + " units?)");
  return std::nullopt;
}

void Trainer::remove_killed_writes() {
  // A killed attempt's half-written temporaries: this attempt owns the job now.
  for (const std::string& dir : {req_.job_dir, store_.dir()}) {
    auto removed = remove_temporaries(*s_.storage, dir);
    if (!removed.ok()) s_.log->warn("{}", removed.message());
    else for (const auto& f : *removed) s_.log->info("removed a killed write's temporary file {}", f);
  }
  // Final files that an earlier fenced attempt staged and never committed (common/fence.h).
  if (req_.fence.fenced())
    if (auto removed = remove_older_fenced_files(*s_.storage, req_.job_dir, req_.fence.token); !removed.ok())
      s_.log->warn("{}", removed.message());
}

std::optional<JobResult> Trainer::resume_or_clear() {
  if (req_.resume) return resume();
  if (!owner()) return ended(JobEnd::kFenced, "a newer attempt owns the job; nothing written");
  Status c = store_.clear();
  if (!c.ok())
    return ended(store_.lost_lease() ? JobEnd::kFenced : JobEnd::kFailed, "clearing old checkpoints: " + c.message());
  return std::nullopt;
}

std::optional<JobResult> Trainer::run_epoch() {
  const int e = st_.epochs_done;
  const double lr = schedule_.lr_for_epoch(e);
  for (auto& g : optimizer_->param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
  // The permutation comes from the generator's state at the epoch's start, so a resume in
  // the middle of the epoch draws the very same order.
  Shuffler epoch_rng(0);
  (void)epoch_rng.set_state(st_.shuffle_state);  // validated when built or resumed
  const auto perm =
      torch::tensor(epoch_rng.permutation(train_.size()), torch::TensorOptions(torch::kInt64)).to(device_);
  const auto t0 = Clock::now();
  if (auto stopped = train_batches(e, lr, perm, t0)) return *stopped;

  // End of epoch: evaluate the EMA weights, step the schedule, select, record. One selection
  // metric drives the plateau scheduler, best-model selection and early stopping alike.
  const SelectionMetrics m = evaluate_ema();
  // Progress reports the selection metric, as its best_val_rmse (st_.best_metric) already does.
  last_val_rmse_ = m.selection;
  last_val_all_windows_rmse_ = m.val_all_windows_rmse;
  schedule_.end_epoch(e, m.selection);
  const bool improved = select_if_best(e, m.selection);
  const double spent = seconds_since(t0);
  const double seconds = st_.epoch_seconds + spent;
  const json rec = close_epoch(e, lr, m, improved, seconds);
  st_.shuffle_state = epoch_rng.state();
  st_.train_seconds += spent;
  log_epoch(rec, m.selection, improved, lr, seconds);
  return write_epoch_checkpoints(improved, seconds);
}

std::optional<JobResult> Trainer::train_batches(int e, double lr, const torch::Tensor& perm, Clock::time_point t0) {
  const int64_t n = train_.size();
  const int64_t bs = cfg_.optimizer.batch_size;
  const int64_t batches = (n + bs - 1) / bs;
  model_->train();
  for (int64_t b = st_.batch_in_epoch; b < batches; ++b) {
    const auto ids = perm.slice(0, b * bs, std::min(n, (b + 1) * bs));
    const auto x = train_.gather(ids);
    const auto y = train_.rul.index_select(0, ids);
    const auto h = train_.health.index_select(0, ids);
    const StepResult step = train_step(model_, *optimizer_, *ema_, x, y, h, cfg_);
    if (!step.stepped) return diverged(step.total, e, b, lr);
    const auto size = ids.size(0);
    st_.epoch_loss_sum += step.total * size;
    st_.epoch_rul_sum += step.loss.rul.item<double>() * size;
    st_.epoch_health_sum += step.loss.health.item<double>() * size;
    st_.epoch_samples += size;
    st_.batch_in_epoch = b + 1;
    st_.batches_done += 1;
    progress("", 0);
    if (s_.callbacks->stop_requested && s_.callbacks->stop_requested->load())
      return stop_with_emergency_checkpoint(e, b, batches, t0);
  }
  return std::nullopt;
}

JobResult Trainer::diverged(double total, int e, int64_t b, double lr) {
  std::ostringstream why;
  why << "non-finite training loss (" << total << ") at epoch " << e + 1 << " batch " << b + 1 << " (lr " << lr
      << "): the run diverged; lower recipe.optimizer.lr or check the data";
  s_.log->error("{}", why.str());
  return ended(JobEnd::kFailed, why.str());
}

JobResult Trainer::stop_with_emergency_checkpoint(int e, int64_t b, int64_t batches, Clock::time_point t0) {
  const double spent = seconds_since(t0);
  st_.epoch_seconds += spent;
  st_.train_seconds += spent;
  std::string path;
  if (auto r = write_checkpoint(CheckpointKind::kEmergency, &path)) {
    if (r->end == JobEnd::kFenced) return *r;
    return ended(JobEnd::kPreempted, "stop requested; the emergency checkpoint failed (" + r->reason +
                                         "): the job resumes from its previous checkpoint");
  }
  s_.log->warn("stop requested: wrote {} at epoch {} batch {}/{}", path, e + 1, b + 1, batches);
  progress(path, 0);
  JobResult r = ended(JobEnd::kPreempted, "stop requested; emergency checkpoint " + path);
  r.epochs_run = st_.epochs_done;
  r.resumed_from_epoch = resumed_from_;
  return r;
}

Predictions Trainer::predict_set(const WindowTensors& set) {
  return predict_windows(model_, set.size(), [&](const torch::Tensor& i) { return set.gather(i); }, cfg_.data.r_max,
                         device_);
}

// The validation RMSEs (both kinds; data.validation names the one that selects), or under
// selection "test" (no held-out units) the test last-cycle RMSE, of the EMA weights. Without
// validation windows they are NaN (null in the history JSON), never a made-up 0.
Trainer::SelectionMetrics Trainer::evaluate_ema() {
  SelectionMetrics m;
  Ema::Swap swap(*ema_);
  if (val_.size() > 0) {
    m.val_all_windows_rmse =
        rmse(predict_set(val_).rul, std::vector<double>(s_.data.val.rul.begin(), s_.data.val.rul.end()));
    m.val_last_window_rmse = rmse(predict_set(val_cuts_).rul,
                                  std::vector<double>(s_.data.val_cuts.rul.begin(), s_.data.val_cuts.rul.end()));
    m.val_rmse = validates_on_last_window() ? m.val_last_window_rmse : m.val_all_windows_rmse;
  }
  if (selects_on_test()) {
    const auto tp = predict_windows(model_, test_.size(), [&](const torch::Tensor& i) { return test_.gather(i); },
                                    cfg_.data.r_max, device_);
    std::vector<double> tt(s_.data.test.rul.begin(), s_.data.test.rul.end());
    m.test_rmse = rmse(tp.rul, tt);
  }
  m.selection = selects_on_test() ? m.test_rmse : m.val_rmse;
  return m;
}

bool Trainer::select_if_best(int e, double metric) {
  if (!(metric < st_.best_metric)) {
    st_.bad_epochs += 1;
    return false;
  }
  st_.best_metric = metric;
  st_.best_epoch = e + 1;
  st_.bad_epochs = 0;
  best_ema_ = clone_tensors(ema_->shadow());
  return true;
}

// Appends the epoch to the history and resets the partial sums for the next epoch.
json Trainer::close_epoch(int e, double lr, const SelectionMetrics& m, bool improved, double seconds) {
  const double samples = static_cast<double>(std::max<int64_t>(st_.epoch_samples, 1));
  json rec = {{hk::kEpoch, e + 1},
              {hk::kLoss, st_.epoch_loss_sum / samples},
              {hk::kRulLoss, st_.epoch_rul_sum / samples},
              {hk::kHealthLoss, st_.epoch_health_sum / samples},
              {hk::kValRmse, m.val_rmse},
              {hk::kLr, lr},
              {hk::kImproved, improved},
              {hk::kSeconds, seconds}};
  if (selects_on_test()) rec[hk::kTestRmse] = m.test_rmse;
  // Both validation kinds, where there are held-out units (absent, not null, under selection
  // "test", so that a history read back from a checkpoint equals the one never interrupted).
  if (std::isfinite(m.val_last_window_rmse)) rec[hk::kValLastWindowRmse] = m.val_last_window_rmse;
  if (std::isfinite(m.val_all_windows_rmse)) rec[hk::kValAllWindowsRmse] = m.val_all_windows_rmse;
  st_.history.push_back(rec);
  st_.epochs_done = e + 1;
  st_.batch_in_epoch = 0;
  st_.epoch_loss_sum = st_.epoch_rul_sum = st_.epoch_health_sum = 0;
  st_.epoch_samples = 0;
  st_.epoch_seconds = 0;
  return rec;
}

void Trainer::log_epoch(const json& rec, double metric, bool improved, double lr, double seconds) {
  epoch_seconds_total_ += seconds;
  ++epochs_timed_;
  const double eta = epoch_seconds_total_ / epochs_timed_ * (cfg_.max_epochs - st_.epochs_done);
  s_.log->info("{} seed {} epoch {}/{} loss {:.5f} (rul {:.5f}, health {:.5f}) {} {:.3f}{} lr {:.3g} "
               "{:.1f}s eta {:.0f}s",
               req_.dataset, req_.seed, st_.epochs_done, cfg_.max_epochs, rec[hk::kLoss].get<double>(),
               rec[hk::kRulLoss].get<double>(), rec[hk::kHealthLoss].get<double>(),
               selects_on_test() ? "test_rmse (selection; leaks)"
               : validates_on_last_window() ? "val_rmse (last window)" : "val_rmse (all windows)",
               metric, improved ? " (best)" : "", lr,
               seconds, eta);
}

std::optional<JobResult> Trainer::write_epoch_checkpoints(bool improved, double seconds) {
  std::string written;
  if (improved)
    if (auto r = write_checkpoint(CheckpointKind::kBest, &written)) return *r;
  if (st_.epochs_done % cfg_.checkpoint.every_epochs == 0)
    if (auto r = write_checkpoint(CheckpointKind::kPeriodic, &written)) return *r;
  progress(written, seconds);
  return std::nullopt;
}

JobResult Trainer::finish() {
  const auto finish_started = Clock::now();
  const NamedTensors weights = restore_best_weights();
  const Predictions tp = predict_windows(
      model_, test_.size(), [&](const torch::Tensor& i) { return test_.gather(i); }, cfg_.data.r_max, device_);
  const Predictions vp = predict_set(val_);
  const Predictions cp = predict_set(val_cuts_);
  // Wall time of the job: its epochs over every attempt, plus this final evaluation.
  const double wall = st_.train_seconds + seconds_since(finish_started);
  const json metrics = final_metrics(weights, tp, vp, cp, wall);

  const std::string model_name = job_files::final_model_name(req_.dataset, req_.seed);
  if (auto r = write_file(model_name, serialize_model_file(model_meta(metrics), weights, st_.history, optimizer_.get()))) return *r;
  if (auto r = write_file(job_files::history_json_name(req_.dataset, req_.seed), st_.history.dump(1) + "\n")) return *r;
  if (auto r = write_file(job_files::history_csv_name(req_.dataset, req_.seed), history_csv())) return *r;
  if (auto r = write_file(job_files::kTestPredictions, test_predictions_csv(tp))) return *r;
  if (auto r = write_file(job_files::kMetrics, metrics.dump(1) + "\n")) return *r;

  s_.log->info("{} seed {} done: test RMSE {:.3f}, MAE {:.3f}, NASA {:.1f}, health acc {:.3f} F1 {:.3f}; "
               "best epoch {} of {}; model {}",
               req_.dataset, req_.seed, metrics[mk::kTestRmse].get<double>(), metrics[mk::kTestMae].get<double>(),
               metrics[mk::kNasaScore].get<double>(), metrics[mk::kHealthAccuracy].get<double>(),
               metrics[mk::kHealthMacroF1].get<double>(), st_.best_epoch, st_.epochs_done,
               req_.job_dir + "/" + model_name);
  JobResult r;
  r.end = JobEnd::kDone;
  r.metrics = metrics;
  r.epochs_run = st_.epochs_done;
  r.resumed_from_epoch = resumed_from_;
  r.final_model = req_.job_dir + "/" + model_name;
  return r;
}

// The best model: the EMA weights of the best epoch, into the model and the EMA.
NamedTensors Trainer::restore_best_weights() {
  if (best_ema_.empty()) best_ema_ = clone_tensors(ema_->shadow());
  NamedTensors weights = live();
  copy_tensors(best_ema_, weights.tensors);
  copy_tensors(best_ema_, ema_->shadow());
  return weights;
}

// What every validation figure of this job means (the report states it next to each figure).
json Trainer::validation_protocol() const {
  return {{vk::kKind, selects_on_test() ? "test" : cfg_.data.validation},
          {vk::kUnitsHeldOut, s_.data.val_units.size()},
          {vk::kWindows, val_.size()},
          {vk::kCutWindows, val_cuts_.size()},
          {vk::kCutsPerUnit, cfg_.data.val_cuts_per_unit},
          {vk::kCutRulRange, {cfg_.data.val_cut_min_rul, cfg_.data.val_cut_max_rul}},
          {vk::kRMax, cfg_.data.r_max},
          {vk::kWindow, cfg_.data.window}};
}

json Trainer::final_metrics(const NamedTensors& weights, const Predictions& tp, const Predictions& vp,
                            const Predictions& cp, double wall) const {
  const std::vector<double> test_truth(s_.data.test.rul.begin(), s_.data.test.rul.end());
  const std::vector<double> val_truth(s_.data.val.rul.begin(), s_.data.val.rul.end());
  const std::vector<double> cut_truth(s_.data.val_cuts.rul.begin(), s_.data.val_cuts.rul.end());
  const double all_windows = rmse(vp.rul, val_truth), last_window = rmse(cp.rul, cut_truth);
  json metrics = {{mk::kDataset, req_.dataset},
                  {mk::kSeed, req_.seed},
                  {mk::kSelection, cfg_.data.selection},
                  {mk::kTestRmse, rmse(tp.rul, test_truth)},
                  {mk::kTestMae, mae(tp.rul, test_truth)},
                  {mk::kNasaScore, nasa_score(tp.rul, test_truth)},
                  {mk::kHealthAccuracy, accuracy(tp.health, s_.data.test.health)},
                  {mk::kHealthMacroF1, macro_f1(tp.health, s_.data.test.health, cfg_.model.classes)},
                  {mk::kValRmse, validates_on_last_window() ? last_window : all_windows},
                  {mk::kValLastWindowRmse, last_window},
                  {mk::kValAllWindowsRmse, all_windows},
                  {mk::kValidation, validation_protocol()},
                  {mk::kBestEpoch, st_.best_epoch},
                  {mk::kBestSelectionRmse, std::isfinite(st_.best_metric) ? json(st_.best_metric) : json()},
                  {mk::kEpochsRun, st_.epochs_done},
                  {mk::kEarlyStopped, st_.epochs_done < cfg_.max_epochs},
                  {mk::kTestUnits, test_.size()},
                  {mk::kValWindows, val_.size()},
                  {mk::kParameters, count_parameters(*model_)},
                  {mk::kWeightsCrc32, tensors_crc32(weights.tensors)},
                  // What differs between an interrupted and an uninterrupted run lives here.
                  {mk::kRun,
                   {{mk::kRunWallSeconds, wall},
                    {mk::kRunAttempt, req_.attempt},
                    {mk::kRunResumes, st_.resumes},
                    {mk::kRunThreads, s_.threads},
                    {mk::kRunDevice, s_.device}}}};
  if (!s_.data_crc32.empty()) metrics[mk::kDataCrc32] = s_.data_crc32;
  if (selects_on_test())
    metrics[mk::kSelectionNote] = "model selected on the test set (published protocol; leaks test information)";
  return metrics;
}

// The deployment model's metadata (checkpoint_format.h, model_meta_key): all that inference needs.
json Trainer::model_meta(const json& metrics) const {
  json meta = {{model_meta_key::kDataset, req_.dataset},
               {model_meta_key::kSeed, req_.seed},
               {model_meta_key::kRecipe, cfg_.to_json()},
               {model_meta_key::kScaler, s_.data.scaler.to_json()},
               {model_meta_key::kNumFeatures, s_.data.train.num_features},
               {model_meta_key::kWeights, "ema_best"},
               {model_meta_key::kBestEpoch, st_.best_epoch},
               {"metrics", metrics}};
  meta["metrics"].erase(mk::kRun);
  return meta;
}

std::string Trainer::history_csv() const {
  std::ostringstream csv;
  csv.precision(17);
  // A value not measured (no held-out units under selection "test") is null in the history: NaN here.
  auto num = [](const json& h, const char* key) {
    return h.contains(key) && h[key].is_number() ? h[key].get<double>() : std::nan("");
  };
  csv << job_files::kHistoryCsvHeader << '\n';
  for (const auto& h : st_.history)
    csv << h[hk::kEpoch].get<int>() << ',' << h[hk::kLoss].get<double>() << ',' << h[hk::kRulLoss].get<double>() << ','
        << h[hk::kHealthLoss].get<double>() << ',' << num(h, hk::kValRmse) << ',' << h[hk::kLr].get<double>() << ','
        << (h[hk::kImproved].get<bool>() ? 1 : 0) << ',' << h[hk::kSeconds].get<double>() << ','
        << num(h, hk::kValLastWindowRmse) << ',' << num(h, hk::kValAllWindowsRmse) << '\n';
  return csv.str();
}

// Per test unit, for the report's predicted-vs-true plot and for error analysis without the model.
std::string Trainer::test_predictions_csv(const Predictions& tp) const {
  std::ostringstream pred;
  pred.precision(17);
  pred << job_files::kTestPredictionsHeader << '\n';
  for (size_t i = 0; i < tp.rul.size() && i < s_.data.test.size(); ++i)
    pred << s_.data.test.unit[i] << ',' << static_cast<double>(s_.data.test.rul[i]) << ',' << tp.rul[i] << ','
         << s_.data.test.health[i] << ',' << tp.health[i] << '\n';
  return pred.str();
}

}  // namespace

JobResult run_trainer(TrainerSetup& setup) {
  Trainer t(setup);
  return t.run();
}

}  // namespace amnl::worker
