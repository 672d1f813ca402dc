// The torch.load dict format (worker/checkpoint_dict.h, pytorch_dict.h, torch_pickle.h): exact
// round trips of everything resume needs, files of the earlier format still read and converted
// by `amnl export`, and load_state_dict-like errors that name the key.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/recipe_config.h"
#include "common/storage.h"
#include "support/test_support.h"
#include "worker/checkpoint_format.h"
#include "worker/export_command.h"
#include "worker/model.h"
#include "worker/pytorch_dict.h"
#include "worker/torch_pickle.h"

namespace amnl::worker {
namespace {

using nlohmann::json;

NamedTensors named(const torch::nn::Module& m) {
  NamedTensors nt;
  for (auto& [name, t] : state_tensors(m)) {
    nt.names.push_back(name);
    nt.tensors.push_back(t);
  }
  return nt;
}

// A tiny model and its AdamW after two steps: moments and step counts that a lossy round trip
// would change.
struct Trained {
  RecipeConfig recipe = *RecipeConfig::preset("tiny");
  DualTaskModel model{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer;
  explicit Trained(int steps) {
    torch::manual_seed(7);
    model = DualTaskModel(recipe.model, 17);
    optimizer = std::make_unique<torch::optim::AdamW>(
        model->parameters(), torch::optim::AdamWOptions(recipe.optimizer.lr).weight_decay(recipe.optimizer.weight_decay));
    for (int i = 0; i < steps; ++i) step(i);
  }
  void step(int i) {
    torch::manual_seed(100 + i);
    optimizer->zero_grad();
    auto out = model->forward(torch::randn({4, 30, 17}));
    (out.rul.square().mean() + out.logits.square().mean()).backward();
    optimizer->step();
  }
  std::string checkpoint(bool archive) {
    TrainState st;
    st.recipe = recipe.to_json();
    st.scaler = {{"any", "json"}};
    st.dataset = "SYN";
    st.seed = 3;
    st.epochs_done = 2;
    st.best_metric = 12.5;
    st.best_epoch = 2;
    st.history = json::array({{{"epoch", 1}, {"loss", 0.5}, {"val_rmse", 13.0}}});
    CheckpointTensors t;
    t.model = named(*model);
    t.ema = named(*model);
    t.torch_rng = at::detail::getDefaultCPUGenerator().get_state();
    return archive ? serialize_checkpoint_archive(st, t, *optimizer) : serialize_checkpoint(st, t, *optimizer);
  }
};

// Resumes `bytes` into a fresh model + AdamW, takes the same step as `a`, and expects bit-equal
// weights: the optimizer state survived exactly.
void expect_exact_resume(const std::string& bytes, Trained& a) {
  auto ck = parse_checkpoint(bytes, "ck.pt");
  ASSERT_TRUE(ck.ok()) << ck.message();
  EXPECT_EQ(ck->state.dataset, "SYN");
  EXPECT_EQ(ck->state.best_metric, 12.5);
  Trained b(0);
  NamedTensors live = named(*b.model);
  ASSERT_TRUE(check_tensors_like(ck->tensors.model, live, "model").ok());
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < live.tensors.size(); ++i) live.tensors[i].copy_(ck->tensors.model.tensors[i]);
  }
  Status s = load_optimizer(*ck, *b.optimizer, "ck.pt");
  ASSERT_TRUE(s.ok()) << s.message();
  a.step(5);
  b.step(5);
  const auto wa = named(*a.model), wb = named(*b.model);
  for (size_t i = 0; i < wa.tensors.size(); ++i) EXPECT_TRUE(torch::equal(wa.tensors[i], wb.tensors[i])) << wa.names[i];
}

TEST(CheckpointDict, ResumesBitExactlyIncludingTheOptimizer) {
  Trained a(2);
  const std::string bytes = a.checkpoint(false);
  EXPECT_FALSE(is_torchscript_archive(bytes));
  expect_exact_resume(bytes, a);
}

TEST(CheckpointDict, HoldsTheRecipesKeysWithPyTorchsOptimizerLayout) {
  Trained a(2);
  auto d = load_torch_pickle(a.checkpoint(false), "ck.pt");
  ASSERT_TRUE(d.ok()) << d.message();
  for (const char* k : {"model_state_dict", "optimizer_state_dict", "scheduler_state_dict", "ema_shadow", "dataset",
                        "epoch", "best_epoch", "best_rmse", "final_metrics", "training_history", "model_config",
                        "scaler_params"})
    EXPECT_NE(dict_get(*d, k), nullptr) << k;
  const auto* sd = dict_get(*d, "model_state_dict");
  ASSERT_NE(dict_get(*sd, "lstm.weight_ih_l0_reverse"), nullptr);
  ASSERT_NE(dict_get(*sd, "attention.in_proj_weight"), nullptr);
  const auto* opt = dict_get(*d, "optimizer_state_dict");
  const auto state = dict_get(*opt, "state")->toGenericDict();
  EXPECT_EQ(state.size(), a.model->parameters().size());
  const auto first = state.at(int64_t{0});
  EXPECT_EQ(dict_get(first, "step")->toTensor().item<double>(), 2.0);
  auto history = ivalue_to_json(*dict_get(*d, "training_history"), "history");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(*history, json::parse(R"({"epoch": [1], "loss": [0.5], "val_rmse": [13.0]})"));
}

TEST(CheckpointDict, EarlierArchiveCheckpointsStillResumeAndExportToTheDict) {
  Trained a(2);
  const std::string archive = a.checkpoint(true);
  ASSERT_TRUE(is_torchscript_archive(archive));
  test::TempDir dir;
  test::write_file(dir / "old.pt", archive);
  std::string note;
  Status s = export_to_pytorch_dict(dir / "old.pt", dir / "new.pth", &note);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_NE(note.find("earlier amnl format"), std::string::npos) << note;
  const std::string exported = test::read_file(dir / "new.pth");
  EXPECT_FALSE(is_torchscript_archive(exported));
  Trained b(2);  // the same two steps: `a` steps once more in each check
  expect_exact_resume(archive, a);
  expect_exact_resume(exported, b);
}

TEST(ModelDict, EarlierArchiveModelsStillReadAndExport) {
  Trained a(1);
  const json meta = {{"dataset", "SYN"}, {"seed", 3}, {"recipe", a.recipe.to_json()}, {"scaler", {{"window", 30}}},
                     {"num_features", 17}, {"weights", "ema_best"}, {"best_epoch", 1}, {"metrics", {{"test_rmse", 9.5}}}};
  test::TempDir dir;
  test::write_file(dir / "old.pt", serialize_model_archive(meta, named(*a.model)));
  std::string note;
  ASSERT_TRUE(export_to_pytorch_dict(dir / "old.pt", dir / "new.pth", &note).ok());
  for (const char* f : {"old.pt", "new.pth"}) {
    auto m = parse_model_file(test::read_file(dir / f), f);
    ASSERT_TRUE(m.ok()) << m.message();
    EXPECT_EQ(m->meta["recipe"], a.recipe.to_json()) << f;
    EXPECT_EQ(m->meta["metrics"]["test_rmse"], 9.5) << f;
    EXPECT_EQ(tensors_crc32(m->weights.tensors), tensors_crc32(named(*a.model).tensors)) << f;
  }
  // A checkpoint is no model: read_deployable then takes its best EMA weights.
  EXPECT_FALSE(parse_model_file(a.checkpoint(false), "ck.pt").ok());
}

TEST(StateDict, AssignByNameNamesTheFirstMissingMisShapedOrUnexpectedKey) {
  Trained a(0);
  NamedTensors to = named(*a.model);
  NamedTensors from = named(*a.model);
  std::reverse(from.names.begin(), from.names.end());  // a dict's order does not matter
  std::reverse(from.tensors.begin(), from.tensors.end());
  EXPECT_TRUE(assign_by_name(from, to, "w.pth").ok());
  NamedTensors missing = from;
  missing.names.erase(missing.names.begin());
  missing.tensors.erase(missing.tensors.begin());
  EXPECT_NE(assign_by_name(missing, to, "w.pth").message().find("lacks the key '" + from.names[0] + "'"), std::string::npos);
  NamedTensors shaped = from;
  shaped.tensors[0] = torch::zeros({3});
  EXPECT_NE(assign_by_name(shaped, to, "w.pth").message().find("['" + from.names[0] + "'] has shape [3]"), std::string::npos);
  NamedTensors extra = from;
  extra.names.push_back("head.bias");
  extra.tensors.push_back(torch::zeros({1}));
  EXPECT_NE(assign_by_name(extra, to, "w.pth").message().find("'head.bias' that the model lacks"), std::string::npos);
}

// Written by Python 3.11's torch.save (python3-torch 1.13): {"model_state_dict":
// nn.Linear(2, 1).state_dict() with weight [[1, 2]] and bias [3], "one": {"k": 1}, "neg": -5,
// "big": 2**40, "f": 0.25, "t": (1, "a"), "n": None, "l": [True]}. Its one-entry dicts use the
// SETITEM opcode and its state_dict an OrderedDict with BUILD (_metadata), which libtorch's own
// torch::pickle_load cannot read.
std::string python_saved_file() {
  const char* hex =
    "504b03040000080800000000000000000000000000000000000010001200617263686976652f646174612e706b6c46420e00"
    "5a5a5a5a5a5a5a5a5a5a5a5a5a5a80027d71002858100000006d6f64656c5f73746174655f64696374710163636f6c6c6563"
    "74696f6e730a4f726465726564446963740a710229527103285806000000776569676874710463746f7263682e5f7574696c"
    "730a5f72656275696c645f74656e736f725f76320a71052828580700000073746f72616765710663746f7263680a466c6f61"
    "7453746f726167650a71075801000000307108580300000063707571094b0274710a514b004b014b0286710b4b024b018671"
    "0c8968022952710d74710e52710f58040000006269617371106805282868066807580100000031711168094b01747112514b"
    "004b018571134b0185711489680229527115747116527117757d711858090000005f6d65746164617461711968022952711a"
    "5800000000711b7d711c580700000076657273696f6e711d4b017373736258030000006f6e65711e7d711f58010000006b71"
    "204b017358030000006e656771214afbffffff580300000062696771228a060000000000015801000000667123473fd00000"
    "0000000058010000007471244b01580100000061712586712658010000006e71274e58010000006c71285d71298861752e50"
    "4b0708f4c52ac8b3010000b3010000504b0304000008080000000000000000000000000000000000000e0011006172636869"
    "76652f646174612f3046420d005a5a5a5a5a5a5a5a5a5a5a5a5a0000803f00000040504b070876a53f2e0800000008000000"
    "504b0304000008080000000000000000000000000000000000000e003c00617263686976652f646174612f31464238005a5a"
    "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
    "5a5a5a5a00004040504b070889d1e1a70400000004000000504b030400000808000000000000000000000000000000000000"
    "0f003f00617263686976652f76657273696f6e46423b005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
    "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a330a504b0708d19e67550200000002000000"
    "504b0102000000000808000000000000f4c52ac8b3010000b301000010000000000000000000000000000000000061726368"
    "6976652f646174612e706b6c504b010200000000080800000000000076a53f2e08000000080000000e000000000000000000"
    "0000000003020000617263686976652f646174612f30504b010200000000080800000000000089d1e1a70400000004000000"
    "0e0000000000000000000000000058020000617263686976652f646174612f31504b0102000000000808000000000000d19e"
    "675502000000020000000f00000000000000000000000000d4020000617263686976652f76657273696f6e504b06062c0000"
    "00000000001e032d00000000000000000004000000000000000400000000000000f300000000000000520300000000000050"
    "4b060700000000450400000000000001000000504b05060000000004000400f3000000520300000000";
  std::string bytes;
  for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) bytes.push_back(static_cast<char>(std::stoi(std::string(hex + i, 2), nullptr, 16)));
  return bytes;
}

TEST(TorchPickle, ReadsWhatPythonsTorchSaveWrote) {
  auto d = load_torch_pickle(python_saved_file(), "py.pth");
  ASSERT_TRUE(d.ok()) << d.message();
  auto sd = named_tensors_of(*dict_get(*d, "model_state_dict"), "model_state_dict");
  ASSERT_TRUE(sd.ok()) << sd.message();
  ASSERT_EQ(sd->names, (std::vector<std::string>{"weight", "bias"}));
  EXPECT_TRUE(torch::equal(sd->tensors[0], torch::tensor({{1.0f, 2.0f}})));
  EXPECT_TRUE(torch::equal(sd->tensors[1], torch::tensor({3.0f})));
  EXPECT_EQ(d->toGenericDict().erase("model_state_dict"), 1u);
  auto rest = ivalue_to_json(*d, "rest");
  ASSERT_TRUE(rest.ok()) << rest.message();
  EXPECT_EQ(*rest, json::parse(R"({"one": {"k": 1}, "neg": -5, "big": 1099511627776, "f": 0.25, "t": [1, "a"],
                                   "n": null, "l": [true]})"));
}

TEST(TorchPickle, RefusesWhatIsNoTorchSaveFile) {
  auto r = load_torch_pickle("not a zip", "x.pth");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("x.pth: not a torch.save file"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace amnl::worker
