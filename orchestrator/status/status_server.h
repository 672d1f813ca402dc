#pragma once
// The coordinator's live status: a StatusModel fed every ledger record as the coordinator
// appends it, served read-only over HTTP (http_server.h) on a thread of its own:
//   GET /            a self-contained page with the table and a progress bar per job
//   GET /status.json the status document, the same as `amnl status --json RUN_DIR`
//   GET /metrics     Prometheus text format (status_metrics.h)
// Everything else is 404. The coordinator only calls on_record/observe_workers, which take a
// mutex for a few microseconds; requests copy the model under it and do the rest outside.
//
// While it serves, RUN_DIR/status_url holds the URL it is bound to (one line), so that a script
// or test that asked for any free port (port -1) can find it; removed when it stops.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/storage.h"
#include "orchestrator/rundir/experiment.h"
#include "orchestrator/status/http_server.h"
#include "orchestrator/policy/run_observer.h"
#include "orchestrator/status/status_model.h"

namespace amnl::orch {

class LiveStatus final : public RunObserver {
 public:
  // `jobs`: every job of the run; `replayed`: the ledger records of earlier sessions.
  LiveStatus(std::string run_dir, std::shared_ptr<Storage> storage, const std::vector<std::string>& jobs,
             const std::vector<nlohmann::json>& replayed);
  ~LiveStatus();  // stops serving, removes RUN_DIR/status_url

  // The experiment's "status" section: nullptr when the port is 0 (off) or when it cannot serve
  // (logged; a run never fails because of its status page). Logs the URL.
  static std::unique_ptr<LiveStatus> start_for(const Experiment& e, std::shared_ptr<Storage> storage,
                                               const std::vector<nlohmann::json>& replayed);
  // Port -1: any free port.
  Status serve(HttpServerOptions options);
  std::string url() const { return server_ ? server_->url() : ""; }

  // Thread-safe. A record without "time" (the ledger adds it on append) is stamped now.
  void on_record(nlohmann::json record) override;
  // Thread-safe. When each worker was last heard from, in the coordinator's clock (`now` is
  // that clock's current time): converted to wall-clock time for the heartbeat ages.
  void observe_workers(const std::map<int, WorkerStatus>& workers, double now) override;

  // What the routes serve (also for tests without sockets).
  nlohmann::json status_json() const;
  HttpReply handle(const std::string& path) const;

 private:
  std::string run_dir_;
  std::shared_ptr<Storage> storage_;
  mutable std::mutex mu_;
  StatusModel model_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace amnl::orch
