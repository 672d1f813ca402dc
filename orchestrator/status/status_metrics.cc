#include "orchestrator/status/status_metrics.h"

#include <cmath>

#include "orchestrator/status/prometheus_text.h"

namespace amnl::orch {

using nlohmann::json;

namespace {

double num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

std::string status_metrics_text(const json& st) {
  PrometheusText p;
  const json totals = st.value("totals", json::object());
  p.family("amnl_jobs", "gauge", "Jobs of the run by state.");
  for (const char* state : {"queued", "running", "done", "failed", "preempted"})
    p.sample("amnl_jobs", {{"state", state}}, num(totals, state));
  p.family("amnl_run_jobs", "gauge", "Jobs (dataset x seed) in the run.");
  p.sample("amnl_run_jobs", num(totals, "jobs"));

  struct Counter {
    const char* name;
    const char* key;
    const char* help;
  };
  for (const Counter& c : {Counter{"amnl_epochs_completed_total", "epochs_completed", "Training epochs completed (all jobs, all attempts)."},
                           Counter{"amnl_checkpoints_total", "checkpoints", "Checkpoints written."},
                           Counter{"amnl_assignments_total", "assignments", "Jobs handed to a worker (one per attempt)."},
                           Counter{"amnl_attempt_failures_total", "attempt_failures", "Failed attempts (own failure or worker death)."},
                           Counter{"amnl_worker_deaths_total", "worker_deaths", "Worker ranks declared dead."},
                           Counter{"amnl_preemptions_total", "preemptions", "Attempts stopped by preemption."}}) {
    p.family(c.name, "counter", std::string(c.help) + " Counted over every session of the run dir.");
    p.sample(c.name, num(totals, c.key));
  }

  p.family("amnl_workers", "gauge", "Worker ranks of the current session by state.");
  p.sample("amnl_workers", {{"state", "alive"}}, num(totals, "workers_alive"));
  p.sample("amnl_workers", {{"state", "dead"}}, num(totals, "workers_dead"));
  p.sample("amnl_workers", {{"state", "left"}}, num(totals, "workers_left"));
  p.family("amnl_workers_excluded", "gauge",
           "Alive worker ranks given no new job: they failed jobs that then finished on another rank.");
  p.sample("amnl_workers_excluded", num(totals, "workers_excluded"));

  p.family("amnl_worker_heartbeat_age_seconds", "gauge", "Seconds since each live worker rank was last heard from.");
  for (const json& r : st.value("ranks", json::array()))
    if (r.value("heartbeat_age_s", json()).is_number())
      p.sample("amnl_worker_heartbeat_age_seconds", {{"rank", str(r, "rank")}, {"host", str(r, "host")}},
               num(r, "heartbeat_age_s"));

  p.family("amnl_job_epoch", "gauge", "Last epoch completed by each running job.");
  for (const json& j : st.value("jobs", json::array()))
    if (str(j, "state") == "running") p.sample("amnl_job_epoch", {{"job", str(j, "job")}}, num(j, "epoch"));
  p.family("amnl_job_max_epochs", "gauge", "Epochs each running job trains for.");
  for (const json& j : st.value("jobs", json::array()))
    if (str(j, "state") == "running") p.sample("amnl_job_max_epochs", {{"job", str(j, "job")}}, num(j, "max_epochs"));
  p.family("amnl_job_best_val_rmse", "gauge", "Best validation RMSE so far of each job that reported one.");
  for (const json& j : st.value("jobs", json::array()))
    if (j.value("best_val_rmse", json()).is_number())
      p.sample("amnl_job_best_val_rmse", {{"job", str(j, "job")}}, num(j, "best_val_rmse"));

  p.family("amnl_run_elapsed_seconds", "gauge", "Seconds since the current session started.");
  if (std::isfinite(num(st, "elapsed_s"))) p.sample("amnl_run_elapsed_seconds", num(st, "elapsed_s"));
  p.family("amnl_run_eta_seconds", "gauge", "Estimated seconds until every job has ended (absent when unknown).");
  if (std::isfinite(num(st, "eta_s"))) p.sample("amnl_run_eta_seconds", num(st, "eta_s"));
  p.family("amnl_session_running", "gauge", "1 while the session runs, 0 once it ended.");
  p.sample("amnl_session_running", {{"session", str(st.value("session", json::object()), "id")}},
           str(st, "state") == "running" ? 1 : 0);
  return p.str();
}

}  // namespace amnl::orch
