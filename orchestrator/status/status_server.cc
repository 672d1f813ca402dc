#include "orchestrator/status/status_server.h"

#include <spdlog/spdlog.h>

#include "orchestrator/rundir/job_id.h"
#include "orchestrator/rundir/ledger.h"
#include "orchestrator/status/status_format.h"
#include "orchestrator/status/status_load.h"
#include "orchestrator/status/status_metrics.h"
#include "orchestrator/status/status_page.h"

namespace amnl::orch {

using nlohmann::json;

namespace {
std::string status_url_path(const std::string& run_dir) { return run_dir + "/status_url"; }
}  // namespace

LiveStatus::LiveStatus(std::string run_dir, std::shared_ptr<Storage> storage, const std::vector<std::string>& jobs,
                       const std::vector<json>& replayed)
    : run_dir_(std::move(run_dir)), storage_(std::move(storage)) {
  for (const std::string& j : jobs) model_.add_job(j);
  for (const json& r : replayed) model_.apply(r);
}

LiveStatus::~LiveStatus() {
  if (!server_) return;
  server_->stop();
  Status st = storage_->remove(status_url_path(run_dir_));
  if (!st.ok()) spdlog::debug("status server: {}", st.message());
}

std::unique_ptr<LiveStatus> LiveStatus::start_for(const Experiment& e, std::shared_ptr<Storage> storage,
                                                  const std::vector<json>& replayed) {
  if (e.status.port == 0) return nullptr;
  std::vector<std::string> jobs;
  for (const std::string& ds : e.datasets)
    for (int64_t seed : e.seeds) jobs.push_back(job_id(JobKey{ds, seed}));
  auto live = std::make_unique<LiveStatus>(e.run_dir, std::move(storage), jobs, replayed);
  HttpServerOptions options;
  options.address = e.status.address;
  options.port = e.status.port;
  Status st = live->serve(options);
  if (!st.ok()) {
    spdlog::error("{}; the run goes on without it", st.message());
    return nullptr;
  }
  return live;
}

Status LiveStatus::serve(HttpServerOptions options) {
  if (options.port < 0) options.port = 0;
  auto server = HttpServer::start(options, [this](const std::string& path) { return handle(path); });
  if (!server) return server.status();
  server_ = std::move(*server);
  const std::string url = server_->url();
  // Logged before status_url appears, since readers take that file as the sign that all is up.
  spdlog::info("status: {} (status.json, metrics); also `amnl status {}`", url, run_dir_);
  Status st = storage_->write_atomic(status_url_path(run_dir_), url + "\n");
  if (!st.ok()) spdlog::warn("status server: {}", st.message());
  return Status::Ok();
}

void LiveStatus::on_record(json record) {
  if (!record.contains("time")) record["time"] = utc_now_iso();
  std::lock_guard<std::mutex> lock(mu_);
  model_.apply(record);
}

void LiveStatus::observe_workers(const std::map<int, WorkerStatus>& workers, double now) {
  const double wall = unix_now();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [rank, w] : workers) model_.set_last_heard(rank, wall - (now - w.last_heard));
}

json LiveStatus::status_json() const {
  StatusModel copy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    copy = model_;
  }
  return status_document(std::move(copy), *storage_, run_dir_, unix_now());
}

HttpReply LiveStatus::handle(const std::string& path) const {
  if (path == "/status.json") return {200, "application/json", dump_status_json(status_json()) + "\n"};
  if (path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", status_metrics_text(status_json())};
  if (path == "/" || path == "/index.html") return {200, "text/html; charset=utf-8", status_page_html(status_json())};
  return {404, "text/plain; charset=utf-8", "not found: " + path + " (try /, /status.json, /metrics)\n"};
}

}  // namespace amnl::orch
