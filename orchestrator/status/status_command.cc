#include "orchestrator/status/status_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "common/exit_codes.h"
#include "common/storage.h"
#include "orchestrator/status/status_format.h"
#include "orchestrator/status/status_load.h"

namespace amnl::orch {
namespace {

struct StatusArgs {
  std::string run_dir;
  bool json = false;
  double watch_s = 0;  // > 0: redraw every watch_s seconds until interrupted
};

int print_once(const Storage& storage, const StatusArgs& args, bool clear_screen) {
  auto doc = load_run_status(storage, args.run_dir, unix_now());
  std::string out;
  if (!doc) {
    std::fprintf(stderr, "amnl status: %s\n", doc.message().c_str());
    return kExitUsage;
  }
  out = args.json ? dump_status_json(*doc) + "\n" : format_status_table(*doc);
  if (!args.json)
    for (const auto& w : doc->value("warnings", nlohmann::json::array()))
      out += "warning: " + w.get<std::string>() + "\n";
  // Clear and redraw in one write, so that the terminal never shows half a table.
  if (clear_screen) out = "\033[H\033[2J" + out;
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace

void add_status_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<StatusArgs>();
  auto* cmd = app.add_subcommand(
      "status",
      "Show what a run is doing (or did): one line per job (state, attempt, rank, host, epoch, best validation "
      "RMSE, elapsed, ETA), totals and dead ranks, read from RUN_DIR (ledger.jsonl, ranks/, outcome.json) "
      "without changing it. Works while `amnl run` is live and after it ended. A running job's ETA counts to the "
      "epoch early stopping ends it at if validation does not improve again (each improvement moves it later).");
  cmd->add_option("run_dir", args->run_dir, "the run dir (the experiment's run_dir)")->required();
  cmd->add_flag("--json", args->json, "print the status document as one line of JSON (for scripts)");
  cmd->add_option("--watch", args->watch_s, "redraw every SECONDS until Ctrl-C")->check(CLI::Range(0.1, 86400.0));
  cmd->callback([args, &exit_code] {
    auto storage = make_posix_storage();
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(args->run_dir, ec);
    if (!ec) args->run_dir = absolute.lexically_normal().string();
    if (args->run_dir.size() > 1 && args->run_dir.back() == '/') args->run_dir.pop_back();
    if (args->watch_s <= 0) {
      exit_code = print_once(*storage, *args, false);
      return;
    }
    const bool tty = ::isatty(STDOUT_FILENO) == 1;
    for (;;) {
      // A run dir that is not there yet (the run is starting) is shown as an error and retried.
      print_once(*storage, *args, tty);
      std::this_thread::sleep_for(std::chrono::duration<double>(args->watch_s));
    }
  });
}

}  // namespace amnl::orch
