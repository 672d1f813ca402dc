#pragma once
// The experiment file: what `amnl run` trains (every dataset x seed, one recipe) and how it
// treats failures. Parsed and validated completely on the coordinator before any rank starts a
// job; every rejection names the key's path ("fault.worker_timeout_s: must be > 0, got -1").
//
// Relative run_dir and data_dir are resolved against the directory of the experiment file (not
// the current directory), so a file and its data can move together and every rank, whatever its
// cwd, sees the same absolute paths.
//
// A run never writes into its data or into another run: run_dir may not be data_dir or lie in it
// (nor data_dir in run_dir), and no directory above run_dir may be a run dir or a job dir.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/storage.h"
#include "common/job.h"

namespace amnl::orch {

struct FaultPolicy {
  double heartbeat_interval_s = 1.0;  // worker -> coordinator heartbeats, coordinator pings
  // Defaults for a real cluster (examples/README.md, "Timeouts"): a partition of P seconds
  // silences a TCP connection for 2P-4P (retransmission backoff: a 7 s cut gave 24-30 s), so
  // 60 s outlasts cuts up to about 15 s; a same-host death is seen at once (PID check).
  double worker_timeout_s = 60.0;     // no message from a worker for this long: declared dead
  double progress_timeout_s = 900.0;  // alive but its batch counter has not moved: declared hung
  int max_attempts = 3;               // failed attempts (own failure or death) before "failed"
  // Longer than worker_timeout_s: after a partition, rank 0 declares the rank dead (and
  // readmits it when it is heard from again) before the worker gives up on rank 0 and leaves.
  double coordinator_timeout_s = 120.0;  // a worker that hears nothing from rank 0 this long stops
  double stop_grace_s = 60.0;  // a worker waits this long for its trainer's emergency checkpoint
};

// The coordinator's read-only status server (status_server.h). Not part of the run's identity.
struct StatusHttpConfig {
  int port = 0;                        // 0: off; -1: any free port (the URL goes to <run_dir>/status_url)
  std::string address = "127.0.0.1";  // an IP address to bind; 0.0.0.0 exposes it to the network
};

struct Experiment {
  std::string file;      // absolute path of the experiment file ("" when parsed from memory)
  std::string run_dir;   // absolute
  std::string data_dir;  // absolute
  std::vector<std::string> datasets;
  std::vector<int64_t> seeds;
  std::string preset = "paper";
  nlohmann::json recipe_overrides = nlohmann::json::object();
  nlohmann::json recipe;  // the resolved recipe (preset + overrides + checkpoint), every field
  FaultPolicy fault;
  int threads_per_rank = 1;
  bool threads_per_rank_set = false;  // by the file (a batch script may fill it in otherwise)
  StatusHttpConfig status;
  // Training rows per dataset (lines of train_<ds>.txt): the expected cost used to run the
  // longest jobs first.
  std::vector<int64_t> dataset_rows;

  // What makes two experiment files "the same run": datasets, seeds, data_dir, the resolved
  // recipe and threads (which change results bit for bit). Fault policy and run_dir may change
  // between reruns (e.g. a longer timeout).
  nlohmann::json identity() const;
  // The whole resolved experiment, stored in the run dir.
  nlohmann::json to_json() const;
};

// `base_dir` resolves relative paths; `check_files` also requires the data files to exist.
Result<Experiment> parse_experiment(const nlohmann::json& j, const std::string& base_dir,
                                    bool check_files = true);
// Reads `path` through `storage` (strictly: parse_strict_json refuses a key written twice, NaN,
// 1e999, a cut file, with its line and column), parses it, and refuses a run_dir inside another
// run's directory or a job dir. Errors start with the file name. Writes nothing: `amnl run` and
// `amnl run --check` call it before anything is created.
Result<Experiment> load_experiment(const Storage& storage, const std::string& path);

}  // namespace amnl::orch
