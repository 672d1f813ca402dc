#include "worker/checkpoint_format.h"

#include <cmath>
#include <sstream>

#include "common/checksum.h"
#include "common/job_dir_files.h"
#include "worker/checkpoint_dict.h"
#include "worker/pytorch_dict.h"
#include "worker/torch_pickle.h"

namespace amnl::worker {
namespace {

using nlohmann::json;

std::string shape_str(const torch::Tensor& t) {
  std::ostringstream ss;
  ss << t.sizes();
  return ss.str();
}

void write_named(torch::serialize::OutputArchive& out, const std::string& key, const NamedTensors& nt) {
  // Archive keys cannot hold the dots of module paths: tensors go by index, names alongside.
  torch::serialize::OutputArchive sub;
  sub.write(archive_key::kNames, c10::IValue(json(nt.names).dump()));
  for (size_t i = 0; i < nt.tensors.size(); ++i) sub.write(archive_key::named_tensor_key(i), nt.tensors[i].detach().cpu());
  out.write(key, sub);
}

Result<NamedTensors> read_named(torch::serialize::InputArchive& in, const std::string& key, const std::string& label) {
  torch::serialize::InputArchive sub;
  if (!in.try_read(key, sub)) return Result<NamedTensors>::Error(label + ": no \"" + key + "\" section");
  c10::IValue names;
  if (!sub.try_read(archive_key::kNames, names) || !names.isString())
    return Result<NamedTensors>::Error(label + ": \"" + key + "\" has no tensor names");
  NamedTensors nt;
  try {
    nt.names = json::parse(names.toStringRef()).get<std::vector<std::string>>();
  } catch (const std::exception& e) {
    return Result<NamedTensors>::Error(label + ": \"" + key + "\" tensor names unreadable: " + e.what());
  }
  for (size_t i = 0; i < nt.names.size(); ++i) {
    torch::Tensor t;
    if (!sub.try_read(archive_key::named_tensor_key(i), t))
      return Result<NamedTensors>::Error(label + ": \"" + key + "\" lacks tensor " + nt.names[i]);
    nt.tensors.push_back(t);
  }
  return nt;
}

json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(); }

}  // namespace

Status check_tensors_like(const NamedTensors& got, const NamedTensors& expected, const std::string& what) {
  if (got.names.size() != expected.names.size())
    return Status::Error(what + " has " + std::to_string(got.names.size()) + " tensors, the model has " +
                         std::to_string(expected.names.size()));
  for (size_t i = 0; i < got.names.size(); ++i) {
    if (got.names[i] != expected.names[i])
      return Status::Error(what + " tensor " + std::to_string(i) + " is " + got.names[i] + ", the model's is " +
                           expected.names[i]);
    if (!got.tensors[i].sizes().equals(expected.tensors[i].sizes()))
      return Status::Error(what + " " + got.names[i] + " has shape " + shape_str(got.tensors[i]) +
                           ", the model's is " + shape_str(expected.tensors[i]));
    if (got.tensors[i].scalar_type() != expected.tensors[i].scalar_type())
      return Status::Error(what + " " + got.names[i] + " has another dtype than the model's");
  }
  return Status::Ok();
}

json TrainState::to_json() const {
  return {{"recipe", recipe},
          {"scaler", scaler},
          {"dataset", dataset},
          {"seed", seed},
          {"epochs_done", epochs_done},
          {"batch_in_epoch", batch_in_epoch},
          {"shuffle_state", shuffle_state},
          {"batches_done", batches_done},
          {"epoch_loss_sum", epoch_loss_sum},
          {"epoch_rul_sum", epoch_rul_sum},
          {"epoch_health_sum", epoch_health_sum},
          {"epoch_samples", epoch_samples},
          {"epoch_seconds", epoch_seconds},
          {"best_metric", finite_or_null(best_metric)},
          {"best_epoch", best_epoch},
          {"bad_epochs", bad_epochs},
          {"schedule", schedule},
          {"history", history},
          {"attempt", attempt},
          {"resumes", resumes},
          {"threads", threads},
          {"train_seconds", train_seconds}};
}

Result<TrainState> TrainState::from_json(const json& j) {
  TrainState s;
  try {
    s.recipe = j.at("recipe");
    s.scaler = j.at("scaler");
    s.dataset = j.at("dataset").get<std::string>();
    s.seed = j.at("seed").get<int64_t>();
    s.epochs_done = j.at("epochs_done").get<int>();
    s.batch_in_epoch = j.at("batch_in_epoch").get<int64_t>();
    s.shuffle_state = j.at("shuffle_state").get<std::string>();
    s.batches_done = j.at("batches_done").get<int64_t>();
    s.epoch_loss_sum = j.at("epoch_loss_sum").get<double>();
    s.epoch_rul_sum = j.at("epoch_rul_sum").get<double>();
    s.epoch_health_sum = j.at("epoch_health_sum").get<double>();
    s.epoch_samples = j.at("epoch_samples").get<int64_t>();
    s.epoch_seconds = j.at("epoch_seconds").get<double>();
    s.best_metric = j.at("best_metric").is_null() ? std::numeric_limits<double>::infinity()
                                                  : j.at("best_metric").get<double>();
    s.best_epoch = j.at("best_epoch").get<int>();
    s.bad_epochs = j.at("bad_epochs").get<int>();
    s.schedule = j.at("schedule");
    s.history = j.at("history");
    // An epoch's val_rmse is NaN where there is no validation set (selection "test"), and JSON
    // writes NaN as null: back to NaN, so a resumed history is the one never interrupted.
    const char* val_rmse = job_files::history_key::kValRmse;
    if (s.history.is_array())
      for (auto& e : s.history)
        if (e.is_object() && e.contains(val_rmse) && e[val_rmse].is_null()) e[val_rmse] = std::nan("");
    s.attempt = j.at("attempt").get<int>();
    s.resumes = j.at("resumes").get<int>();
    s.train_seconds = j.at("train_seconds").get<double>();
    s.threads = j.value("threads", 0);
  } catch (const std::exception& e) {
    return Result<TrainState>::Error(std::string("training state: ") + e.what());
  }
  if (s.epochs_done < 0 || s.batch_in_epoch < 0 || !s.history.is_array())
    return Result<TrainState>::Error("training state: negative position or history not a list");
  return s;
}

std::string serialize_checkpoint(const TrainState& state, const CheckpointTensors& t, torch::optim::Optimizer& optimizer) {
  return serialize_checkpoint_dict(state, t, optimizer);
}

std::string serialize_checkpoint_archive(const TrainState& state, const CheckpointTensors& t,
                                         torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive out;
  out.write(archive_key::kFormat, c10::IValue(std::string(kCheckpointFormat)));
  out.write(archive_key::kState, c10::IValue(state.to_json().dump()));
  write_named(out, archive_key::kModel, t.model);
  write_named(out, archive_key::kEma, t.ema);
  write_named(out, archive_key::kBestEma, t.best_ema);
  out.write(archive_key::kTorchRng, t.torch_rng);
  torch::serialize::OutputArchive opt;
  optimizer.save(opt);
  out.write(archive_key::kOptimizer, opt);
  std::ostringstream bytes;
  out.save_to(bytes);
  return bytes.str();
}

Result<LoadedCheckpoint> parse_checkpoint(const std::string& bytes, const std::string& label) {
  using R = Result<LoadedCheckpoint>;
  if (!is_torchscript_archive(bytes)) {
    auto dict = load_torch_pickle(bytes, label);
    if (!dict.ok()) return dict.status();
    return parse_checkpoint_dict(*dict, label);
  }
  LoadedCheckpoint c;
  try {
    c.archive.load_from(bytes.data(), bytes.size(), torch::Device(torch::kCPU));
    c10::IValue format, state;
    if (!c.archive.try_read(archive_key::kFormat, format) || !format.isString() || format.toStringRef() != kCheckpointFormat)
      return R::Error(label + ": not an amnl checkpoint (format " + std::string(kCheckpointFormat) + ")");
    if (!c.archive.try_read(archive_key::kState, state) || !state.isString()) return R::Error(label + ": no training state");
    auto s = TrainState::from_json(json::parse(state.toStringRef()));
    if (!s.ok()) return R::Error(label + ": " + s.message());
    c.state = std::move(*s);
    for (auto [key, target] : {std::pair<const char*, NamedTensors*>{archive_key::kModel, &c.tensors.model},
                               {archive_key::kEma, &c.tensors.ema},
                               {archive_key::kBestEma, &c.tensors.best_ema}}) {
      auto nt = read_named(c.archive, key, label);
      if (!nt.ok()) return nt.status();
      *target = std::move(*nt);
    }
    if (!c.archive.try_read(archive_key::kTorchRng, c.tensors.torch_rng))
      return R::Error(label + ": no torch generator state");
  } catch (const std::exception& e) {
    // torch reports unreadable archives as exceptions; a checkpoint's bad bytes must never crash.
    std::string what = e.what();
    return R::Error(label + ": unreadable checkpoint: " + what.substr(0, what.find('\n')));
  }
  return c;
}

Status load_optimizer(LoadedCheckpoint& c, torch::optim::Optimizer& optimizer, const std::string& label) {
  if (!c.optimizer_state.isNone()) return load_adamw_state_dict(c.optimizer_state, optimizer, label + ": optimizer_state_dict");
  try {
    torch::serialize::InputArchive opt;
    if (!c.archive.try_read(archive_key::kOptimizer, opt)) return Status::Error(label + ": no optimizer state");
    optimizer.load(opt);
  } catch (const std::exception& e) {
    std::string what = e.what();
    return Status::Error(label + ": optimizer state unreadable: " + what.substr(0, what.find('\n')));
  }
  return Status::Ok();
}

std::string serialize_model_file(const json& meta, const NamedTensors& weights, const json& history,
                                 const torch::optim::Optimizer* optimizer) {
  return serialize_model_dict(meta, weights, history, optimizer);
}

std::string serialize_model_archive(const json& meta, const NamedTensors& weights) {
  torch::serialize::OutputArchive out;
  out.write(archive_key::kFormat, c10::IValue(std::string(kModelFormat)));
  out.write(archive_key::kMeta, c10::IValue(meta.dump()));
  write_named(out, archive_key::kWeights, weights);
  std::ostringstream bytes;
  out.save_to(bytes);
  return bytes.str();
}

Result<ModelFile> parse_model_file(const std::string& bytes, const std::string& label) {
  using R = Result<ModelFile>;
  if (!is_torchscript_archive(bytes)) {
    auto dict = load_torch_pickle(bytes, label);
    if (!dict.ok()) return dict.status();
    return parse_model_dict(*dict, label);
  }
  ModelFile m;
  try {
    torch::serialize::InputArchive in;
    in.load_from(bytes.data(), bytes.size(), torch::Device(torch::kCPU));
    c10::IValue format, meta;
    if (!in.try_read(archive_key::kFormat, format) || !format.isString() || format.toStringRef() != kModelFormat)
      return R::Error(label + ": not an amnl model file (format " + std::string(kModelFormat) + ")");
    if (!in.try_read(archive_key::kMeta, meta) || !meta.isString()) return R::Error(label + ": no model metadata");
    m.meta = json::parse(meta.toStringRef());
    auto w = read_named(in, archive_key::kWeights, label);
    if (!w.ok()) return w.status();
    m.weights = std::move(*w);
  } catch (const std::exception& e) {
    std::string what = e.what();
    return R::Error(label + ": unreadable model file: " + what.substr(0, what.find('\n')));
  }
  return m;
}

std::string tensors_crc32(const std::vector<torch::Tensor>& tensors) {
  uint32_t crc = 0;
  for (const auto& t : tensors) {
    const auto c = t.detach().cpu().contiguous();
    crc = crc32(std::string_view(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size()), crc);
  }
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", crc);
  return buf;
}

Status assign_tensors(const NamedTensors& from, NamedTensors& to, const std::string& label) {
  AMNL_RETURN_IF_ERROR(check_tensors_like(from, to, "the weights").with_context(label));
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < from.tensors.size(); ++i) to.tensors[i].copy_(from.tensors[i]);
  return Status::Ok();
}

}  // namespace amnl::worker
