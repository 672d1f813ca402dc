// `amnl synth` and `amnl data inspect`. Errors go to stderr as "amnl: <message>" with exit
// status kExitUsage: both commands fail only on bad arguments or bad input files.
#include "common/cmapss/data_commands.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "common/cmapss/dataset.h"
#include "common/exit_codes.h"
#include "common/cmapss/synth.h"

namespace amnl {
namespace {

void fail(int& exit_code, const std::string& message) {
  std::cerr << "amnl: " << message << "\n";
  exit_code = kExitUsage;
}

void add_synth(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<data::SynthOptions>();
  auto out_dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "synth",
      "Write a synthetic run-to-failure dataset in C-MAPSS format: OUT/train_NAME.txt, test_NAME.txt, RUL_NAME.txt. "
      "Same seed, same bytes.");
  cmd->add_option("--out", *out_dir, "Output directory (created if absent)")->required();
  cmd->add_option("--dataset-name", options->dataset_name, "Dataset name used in the file names (a plain name)")
      ->required();
  cmd->add_option("--units", options->units, "Number of training units, run to failure")->required();
  cmd->add_option("--seed", options->seed, "Random seed")->required();
  cmd->add_option("--test-units", options->test_units, "Number of test units, cut before failure (default: --units)");
  cmd->add_option("--conditions", options->conditions, "Operating conditions: 1 (like FD001) or 6 (like FD002)")
      ->capture_default_str();
  cmd->add_option("--fault-modes", options->fault_modes, "Fault modes: 1 (like FD001) or 2 (like FD003)")
      ->capture_default_str();
  cmd->callback([options, out_dir, &exit_code]() {
    Result<data::SynthFiles> files = data::write_synthetic_dataset(*out_dir, *options);
    if (!files.ok()) return fail(exit_code, files.message());
    const int test_units = options->test_units == -1 ? options->units : options->test_units;
    std::cout << "wrote " << files->train_path << " (" << options->units << " units, " << files->train_rows << " rows)\n"
              << "wrote " << files->test_path << " (" << test_units << " units, " << files->test_rows << " rows)\n"
              << "wrote " << files->rul_path << " (" << test_units << " lines)\n";
    exit_code = kExitOk;
  });
}

void add_inspect(CLI::App& data_cmd, int& exit_code) {
  auto options = std::make_shared<data::DataOptions>();
  auto data_dir = std::make_shared<std::string>();
  auto dataset = std::make_shared<std::string>();
  CLI::App* cmd = data_cmd.add_subcommand(
      "inspect",
      "Parse and prepare one dataset as training would, and print units, rows, operating conditions, normalisation, "
      "windows per split and health-label balance");
  cmd->add_option("--data-dir", *data_dir, "Directory holding train_/test_/RUL_<dataset>.txt")->required();
  cmd->add_option("--dataset", *dataset, "Dataset name, e.g. FD002")->required();
  cmd->add_option("--seed", options->split_seed, "Seed of the validation split")->capture_default_str();
  cmd->add_option("--val-fraction", options->val_fraction, "Fraction of training units held out for validation")
      ->capture_default_str();
  cmd->add_option("--normalisation", options->normalisation, "auto, global or per_condition")->capture_default_str();
  cmd->add_option("--window", options->window, "Window length in cycles")->capture_default_str();
  cmd->callback([options, data_dir, dataset, &exit_code]() {
    Result<data::PreparedData> prepared = data::prepare_dataset(*data_dir, *dataset, *options);
    if (!prepared.ok()) return fail(exit_code, prepared.message());
    std::cout << "data dir " << *data_dir << "\n" << data::inspection_report(*prepared, *options);
    exit_code = kExitOk;
  });
}

}  // namespace

void add_data_commands(CLI::App& app, int& exit_code) {
  add_synth(app, exit_code);
  CLI::App* data_cmd = app.add_subcommand("data", "Inspect C-MAPSS-format datasets");
  data_cmd->require_subcommand(1);
  add_inspect(*data_cmd, exit_code);
}

}  // namespace amnl
