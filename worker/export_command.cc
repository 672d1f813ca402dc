#include "worker/export_command.h"

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "common/exit_codes.h"
#include "common/recipe_config.h"
#include "common/storage.h"
#include "worker/checkpoint_format.h"
#include "worker/model.h"
#include "worker/torch_pickle.h"

namespace amnl::worker {
namespace {

// An earlier-format checkpoint keeps its optimizer state as libtorch's own archive: load it into
// an AdamW over a model of the checkpoint's recipe, which then writes PyTorch's layout.
Result<std::string> convert_checkpoint(LoadedCheckpoint& ck, const std::string& label) {
  auto recipe = RecipeConfig::from_json(ck.state.recipe, "recipe");
  if (!recipe.ok()) return Result<std::string>::Error(label + ": " + recipe.message());
  int64_t features = -1;
  for (size_t i = 0; i < ck.tensors.model.names.size(); ++i)
    if (ck.tensors.model.names[i] == "conv.0.weight") features = ck.tensors.model.tensors[i].size(1);
  if (features < 1) return Result<std::string>::Error(label + ": no conv.0.weight to tell the feature count");
  DualTaskModel model(recipe->model, features);
  const auto optimizer = make_adamw(model, recipe->optimizer);
  AMNL_RETURN_IF_ERROR(load_optimizer(ck, *optimizer, label));
  return serialize_checkpoint(ck.state, ck.tensors, *optimizer);
}

}  // namespace

Status export_to_pytorch_dict(const std::string& in, const std::string& out, std::string* note) {
  auto storage = make_posix_storage();
  auto bytes = storage->read(in);
  if (!bytes.ok()) return bytes.status();
  std::string converted;
  if (!is_torchscript_archive(*bytes)) {
    // Already a dict: check that it is one of amnl's (or a model amnl can read), then copy it.
    auto ck = parse_checkpoint(*bytes, in);
    if (!ck.ok()) {
      auto m = parse_model_file(*bytes, in);
      if (!m.ok()) return Status::Error(m.message());
    }
    *note = "already in the PyTorch dict format; copied";
    converted = *bytes;
  } else if (auto m = parse_model_file(*bytes, in); m.ok()) {
    *note = "final model (earlier amnl format) converted";
    converted = serialize_model_file(m->meta, m->weights);
  } else {
    auto ck = parse_checkpoint(*bytes, in);
    if (!ck.ok()) return Status::Error(in + ": neither an amnl checkpoint nor an amnl model (" + ck.message() + ")");
    auto c = convert_checkpoint(*ck, in);
    if (!c.ok()) return c.status();
    *note = "training checkpoint (earlier amnl format) converted";
    converted = std::move(*c);
  }
  Status w = storage->write_atomic(out, converted);
  if (!w.ok()) return w.with_context(out);
  return Status::Ok();
}

}  // namespace amnl::worker

namespace amnl {

void add_export_command(CLI::App& app, int& exit_code) {
  auto in = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "export", "Write a checkpoint or final model as the dict PyTorch's torch.load returns (converts earlier amnl files)");
  cmd->add_option("FILE", *in, "A checkpoint (checkpoints/*.pt) or final model (<DATASET>_v7_seed<SEED>.pt)")->required();
  cmd->add_option("--to", *out, "The output file (.pth)")->required();
  cmd->callback([in, out, &exit_code] {
    std::string note;
    Status s = worker::export_to_pytorch_dict(*in, *out, &note);
    if (!s.ok()) {
      std::cerr << "amnl: " << s.message() << "\n";
      exit_code = kExitFailed;
      return;
    }
    std::cout << *out << ": " << note << " (torch.load(\"" << *out << "\") in Python)\n";
    exit_code = kExitOk;
  });
}

}  // namespace amnl
