// Issue 25: amnl's files as a PyTorch user opens them. A tiny job is trained with the real
// binary; Debian's python3-torch (/usr/bin/python3) loads its final model and checkpoints with
// plain torch.load into examples/pytorch/amnl_model.py, examples/pytorch/load_and_predict.py
// must print what `amnl predict` prints, and `amnl predict` must read a dict saved by Python.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "integration/orch_helpers.h"

namespace amnl::test {
namespace {

// Debian's interpreter, where python3-torch installs (the python3 on PATH may be another one).
// AMNL_TEST_PYTHON overrides it, to check what happens without torch.
std::string python_binary() {
  const char* p = std::getenv("AMNL_TEST_PYTHON");
  return p && *p ? p : "/usr/bin/python3";
}

// "unit rul" lines of `output` (log lines and warnings in between are ignored).
std::map<int, double> unit_predictions(const std::string& output) {
  std::map<int, double> out;
  static const std::regex line(R"(^(\d+) (-?[0-9.]+(e[-+]?\d+)?)$)");
  std::istringstream in(output);
  std::smatch m;
  for (std::string s; std::getline(in, s);)
    if (std::regex_match(s, m, line)) out[std::stoi(m[1])] = std::stod(m[2]);
  return out;
}

void expect_same_predictions(const std::map<int, double>& a, const std::map<int, double>& b, const std::string& what) {
  ASSERT_FALSE(a.empty()) << what;
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [unit, rul] : a) {
    ASSERT_TRUE(b.count(unit)) << what << ": unit " << unit;
    EXPECT_NEAR(rul, b.at(unit), 1e-4) << what << ": unit " << unit;
  }
}

class PytorchInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    make_short_syn_job_inputs(*dir_, 10, 3);
    train_ = new CommandResult(train_short_syn_job(*dir_));
  }
  static void TearDownTestSuite() {
    delete train_;
    delete dir_;
  }
  // Not a skip: the project's install step (scripts/install-deps.sh) installs python3-torch.
  static void require_python_torch() {
    auto r = run_command({python_binary(), "-c", "import torch"});
    ASSERT_EQ(r.exit_code, 0) << python_binary() << " cannot import torch: install Debian's python3-torch "
                              << "(scripts/install-deps.sh, or apt-get install python3-torch)\n" << r.output;
  }
  static CommandResult python(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"env", "OMP_NUM_THREADS=1", python_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }
  static CommandResult predict(const std::string& model) {
    return run_command({amnl_binary(), "predict", "--model", model, "--data", *dir_ / "data/test_SYN.txt", "--threads", "1"});
  }
  // tests/integration/pytorch_interop_check.py over the trained job, writing into `out`.
  static CommandResult interop_check(const TempDir& out) {
    return python({source_dir() + "/tests/integration/pytorch_interop_check.py", *dir_ / "job", "SYN_v7_seed1.pt",
                   out.path()});
  }
  static std::string example(const std::string& name) { return source_dir() + "/examples/pytorch/" + name; }
  static TempDir* dir_;
  static CommandResult* train_;
};
TempDir* PytorchInterop::dir_ = nullptr;
CommandResult* PytorchInterop::train_ = nullptr;

TEST_F(PytorchInterop, LoadAndPredictInPythonEqualsAmnlPredict) {
  ASSERT_NO_FATAL_FAILURE(require_python_torch());
  ASSERT_EQ(train_->exit_code, 0) << train_->output;
  const std::string model = *dir_ / "job/SYN_v7_seed1.pt";
  auto amnl = predict(model);
  ASSERT_EQ(amnl.exit_code, 0) << amnl.output;
  auto py = python({example("load_and_predict.py"), model, *dir_ / "data/test_SYN.txt"});
  ASSERT_EQ(py.exit_code, 0) << py.output;
  expect_same_predictions(unit_predictions(amnl.output), unit_predictions(py.output), "load_and_predict.py");
}

// Every file of the job opens with torch.load as a dict with the recipe's keys, loads strictly
// into the Python class, and a checkpoint's optimizer state continues training in PyTorch.
TEST_F(PytorchInterop, FinalModelAndCheckpointsAreTheRecipesDicts) {
  ASSERT_NO_FATAL_FAILURE(require_python_torch());
  ASSERT_EQ(train_->exit_code, 0) << train_->output;
  TempDir out;
  auto r = interop_check(out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("SYN_v7_seed1.pt: strict load: 0 missing, 0 unexpected keys"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("best_epoch_"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("epoch_2.pt: one more AdamW step"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("OK"), std::string::npos) << r.output;
}

// The reverse direction: `amnl predict` on a model fine-tuned and saved in Python predicts what
// Python does with it, and a broken dict is refused naming the key.
TEST_F(PytorchInterop, AmnlPredictReadsADictSavedByPython) {
  ASSERT_NO_FATAL_FAILURE(require_python_torch());
  ASSERT_EQ(train_->exit_code, 0) << train_->output;
  TempDir out;
  auto r = interop_check(out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto amnl = predict(out / "finetuned.pth");
  ASSERT_EQ(amnl.exit_code, 0) << amnl.output;
  auto py = python({example("load_and_predict.py"), out / "finetuned.pth", *dir_ / "data/test_SYN.txt"});
  ASSERT_EQ(py.exit_code, 0) << py.output;
  const auto tuned = unit_predictions(amnl.output);
  expect_same_predictions(tuned, unit_predictions(py.output), "finetuned.pth");
  // The fine-tuned weights, not the trained ones, made these predictions.
  const auto trained = unit_predictions(predict(*dir_ / "job/SYN_v7_seed1.pt").output);
  ASSERT_FALSE(trained.empty());
  EXPECT_GT(std::fabs(tuned.begin()->second - trained.begin()->second), 1e-3);

  auto missing = predict(out / "missing_key.pth");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find(out / "missing_key.pth"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("'lstm.weight_hh_l0' (missing key)"), std::string::npos) << missing.output;
  auto misshaped = predict(out / "misshaped_key.pth");
  EXPECT_EQ(misshaped.exit_code, 1) << misshaped.output;
  EXPECT_NE(misshaped.output.find("['norm.weight'] has shape [3]"), std::string::npos) << misshaped.output;
}

}  // namespace
}  // namespace amnl::test
