// `amnl synth` and `amnl data inspect` as a user runs them (the real binary).
#include <gtest/gtest.h>

#include "support/test_support.h"

namespace amnl {
namespace {

using test::run_command;

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "output lacks '" << part << "':\n" << text;
}

TEST(DataCommands, SynthThenInspect) {
  test::TempDir dir;
  const std::string out = dir / "data";
  test::CommandResult synth = run_command({test::amnl_binary(), "synth", "--out", out, "--dataset-name", "DEMO",
                                           "--units", "12", "--seed", "3", "--conditions", "6", "--fault-modes", "2"});
  ASSERT_EQ(synth.exit_code, 0) << synth.output;
  expect_contains(synth.output, out + "/train_DEMO.txt");
  expect_contains(synth.output, out + "/RUL_DEMO.txt (12 lines)");
  test::CommandResult inspect =
      run_command({test::amnl_binary(), "data", "inspect", "--data-dir", out, "--dataset", "DEMO", "--seed", "4"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  expect_contains(inspect.output, "train: 12 units");
  expect_contains(inspect.output, "conditions found: 6");
  expect_contains(inspect.output, "normalisation: per_condition");
  expect_contains(inspect.output, "val: 2 units");  // round(0.2 * 12)
  expect_contains(inspect.output, "test: 12 units, 12 windows");
  expect_contains(inspect.output, "degrading");
}

TEST(DataCommands, ErrorsArePrefixedUsageErrors) {
  test::TempDir dir;
  test::CommandResult r = run_command({test::amnl_binary(), "data", "inspect", "--data-dir", dir.path(), "--dataset", ".."});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_contains(r.output, "amnl: dataset name");
  r = run_command({test::amnl_binary(), "data", "inspect", "--data-dir", dir.path(), "--dataset", "FD001"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_contains(r.output, "amnl: cannot open " + dir.path() + "/train_FD001.txt");
  r = run_command({test::amnl_binary(), "synth", "--out", dir.path(), "--dataset-name", "X", "--units", "5", "--seed",
                   "1", "--conditions", "3"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  expect_contains(r.output, "amnl: --conditions must be 1 or 6");
}

TEST(DataCommands, EverySubcommandsHelpListsItsOptions) {
  struct HelpCase {
    std::vector<std::string> args;
    std::vector<std::string> must_list;
  };
  const std::vector<HelpCase> cases = {
      {{"synth", "--help"},
       {"--out", "--dataset-name", "--units", "--seed", "--test-units", "--conditions", "--fault-modes"}},
      {{"data", "--help"}, {"inspect"}},
      {{"data", "inspect", "--help"},
       {"--data-dir", "--dataset", "--seed", "--val-fraction", "--normalisation", "--window"}},
  };
  for (const HelpCase& c : cases) {
    std::vector<std::string> argv = {test::amnl_binary()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    test::CommandResult r = run_command(argv);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    for (const std::string& option : c.must_list) expect_contains(r.output, option);
  }
}

TEST(DataCommands, UnknownOptionIsAUsageErrorWithAHint) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"synth", "--no-such-option"},
        std::vector<std::string>{"data", "inspect", "--no-such-option"}}) {
    std::vector<std::string> argv = {test::amnl_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    test::CommandResult r = run_command(argv);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    expect_contains(r.output, "Run with --help for more information.");
  }
}

}  // namespace
}  // namespace amnl
