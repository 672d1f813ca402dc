#include "orchestrator/status_model.h"

#include "orchestrator/ledger_events.h"

#include <cstdio>
#include <ctime>

namespace amnl::orch {

using nlohmann::json;

double parse_utc_iso(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, n = 0;
  double sec = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
      n != static_cast<int>(s.size()) - 1 || s.back() != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 ||
      h > 23 || mi > 59 || !(sec >= 0 && sec < 61))
    return NAN;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<double>(timegm(&tm)) + sec;
}

std::string format_utc_iso(double unix_seconds) {
  if (!std::isfinite(unix_seconds)) return "";
  const auto whole = static_cast<std::time_t>(std::floor(unix_seconds));
  const int ms = static_cast<int>((unix_seconds - static_cast<double>(whole)) * 1000) % 1000;
  std::tm tm{};
  gmtime_r(&whole, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

namespace {

// JSON has no NaN: unknown numbers are null.
json number_or_null(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

// A field of the wrong type (a hand-edited or future ledger) reads as the default.
template <typename T>
T field(const json& r, const char* key, T fallback) {
  auto it = r.find(key);
  if (it == r.end()) return fallback;
  if constexpr (std::is_same_v<T, std::string>) {
    return it->is_string() ? it->template get<std::string>() : fallback;
  } else {
    return it->is_number() ? it->template get<T>() : fallback;
  }
}

}  // namespace

void StatusModel::add_job(const std::string& id) { job(id); }

void StatusModel::set_rank_info(int rank, RankInfo info) { rank_info_[rank] = std::move(info); }

void StatusModel::set_last_heard(int rank, double unix_seconds) { last_heard_[rank] = unix_seconds; }

void StatusModel::set_ledger_damage(int damaged_lines, const std::string& problem) {
  damaged_lines_ = damaged_lines;
  ledger_problem_ = problem;
}

void StatusModel::rank_idle_if_running(int rank, const std::string& job) {
  auto it = ranks_.find(rank);
  if (it != ranks_.end() && it->second.state == "busy" && it->second.job == job) {
    it->second.state = "idle";
    it->second.job.clear();
    it->second.attempt = 0;
  }
}

void StatusModel::apply(const json& r) {
  if (!r.is_object()) return;
  ++records_;
  const double t = parse_utc_iso(field<std::string>(r, "time", ""));
  if (std::isfinite(t)) {
    if (!std::isfinite(first_time_)) first_time_ = t;
    last_time_ = t;
  }
  const double at = std::isfinite(t) ? t : last_time_;
  const std::string ev = field<std::string>(r, ledger::kEvent, "");
  const std::string id = field<std::string>(r, ledger::kJob, "");
  const int rank = field<int>(r, ledger::kRank, -1);

  if (ev == ledger::event::kSessionStarted) {
    ++sessions_;
    session_ = field<std::string>(r, "session", "");
    session_started_ = at;
    session_ended_ = NAN;
    session_outcome_.clear();
    session_reason_.clear();
    draining_reason_.clear();
    // Ranks are numbered afresh by each mpirun: the previous session's dead ranks are history.
    ranks_.clear();
    last_heard_.clear();
    const int n = field<int>(r, "ranks", 0);
    for (int w = 1; w < n && w < 100000; ++w) ranks_[w];
    // A job still "running" here lost its coordinator; the new session queues it again.
    for (auto& [jid, j] : jobs_)
      if (j.state == "running") j.state = "queued";
    return;
  }
  if (ev == ledger::event::kSessionEnded) {
    session_ended_ = at;
    session_outcome_ = field<std::string>(r, "outcome", "");
    session_reason_ = field<std::string>(r, ledger::kReason, "");
    return;
  }
  if (ev == ledger::event::kDraining) {
    draining_reason_ = field<std::string>(r, ledger::kReason, "draining");
    return;
  }
  if (ev == ledger::event::kWorkerDead || ev == ledger::event::kWorkerLeft) {
    if (rank < 0) return;
    Rank& w = ranks_[rank];
    w.state = ev == ledger::event::kWorkerDead ? "dead" : "left";
    w.reason = field<std::string>(r, ledger::kReason, "");
    w.job.clear();
    if (ev == ledger::event::kWorkerDead) ++worker_deaths_;
    return;
  }
  if (id.empty()) return;  // every other event is about a job
  const bool known = ev == ledger::event::kQueued || ev == ledger::event::kAssigned || ev == ledger::event::kProgress || ev == ledger::event::kCheckpoint ||
                     ev == ledger::event::kDone || ev == ledger::event::kAttemptFailed || ev == ledger::event::kFailed || ev == ledger::event::kPreempted ||
                     ev == ledger::event::kFailuresReset || ev == ledger::event::kStorageFailed;
  if (!known) return;
  Job& j = job(id);
  const int attempt = field<int>(r, ledger::kAttempt, 0);
  if (ev == ledger::event::kQueued) {
    j.attempt = std::max(j.attempt, field<int>(r, "attempts_so_far", 0));
    j.failures = std::max(j.failures, field<int>(r, "failures_so_far", 0));
    if (j.state != "preempted") j.state = "queued";
    if (r.contains("last_failure")) j.reason = field<std::string>(r, "last_failure", "");
    j.rank = -1;
  } else if (ev == ledger::event::kAssigned) {
    ++assignments_;
    j.state = "running";
    j.attempt = attempt;
    j.rank = rank;
    j.started = at;
    j.ended = j.seconds = j.last_progress = NAN;
    j.attempt_epoch_seconds = 0;
    j.attempt_epochs = 0;
    j.attempt_last_epoch = -1;
    if (rank >= 0) {
      Rank& w = ranks_[rank];
      w.state = "busy";
      w.job = id;
      w.attempt = attempt;
    }
  } else if (ev == ledger::event::kProgress) {
    // Workers report when the epoch count changes, including once when training starts (epoch 0,
    // or the epoch a resumed attempt starts from, with no validation yet): only a count that grew
    // is a completed epoch. A trainer that reports epoch ends only says so with epoch_seconds.
    const int epoch = field<int>(r, "epoch", -1);
    j.max_epochs = field<int>(r, "max_epochs", j.max_epochs);
    const double epoch_seconds = field<double>(r, "epoch_seconds", NAN);
    const bool completed = epoch > 0 && (j.attempt_last_epoch >= 0 ? epoch > j.attempt_last_epoch
                                                                   : epoch_seconds > 0);
    if (epoch >= 0) {
      j.epoch = epoch;
      j.attempt_last_epoch = epoch;
    }
    if (completed) {
      ++epochs_completed_;
      ++j.attempt_epochs;
      j.last_progress = at;
      j.val_rmse = field<double>(r, "val_rmse", NAN);
      j.best_val_rmse = field<double>(r, "best_val_rmse", j.best_val_rmse);
      j.epoch_seconds = epoch_seconds;
      if (std::isfinite(epoch_seconds)) j.attempt_epoch_seconds += epoch_seconds;
    }
  } else if (ev == ledger::event::kCheckpoint) {
    ++checkpoints_;
    j.checkpoint_epoch = field<int>(r, "epoch", j.checkpoint_epoch);
  } else if (ev == ledger::event::kDone) {
    j.state = "done";
    j.ended = at;
    j.seconds = field<double>(r, "seconds", NAN);
    if (std::isfinite(j.seconds)) {
      done_seconds_ += j.seconds;
      ++done_count_timed_;
    }
    j.epoch = field<int>(r, "epochs_run", j.epoch);
    if (j.max_epochs == 0) j.max_epochs = j.epoch;
    const json m = r.value("metrics", json::object());
    if (m.is_object() && m.contains("test_rmse") && m["test_rmse"].is_number()) j.test_rmse = m["test_rmse"];
    rank_idle_if_running(j.rank, id);
    j.rank = -1;
  } else if (ev == ledger::event::kAttemptFailed || ev == ledger::event::kFailed) {
    ++attempt_failures_;
    j.failures = std::max(j.failures + 1, field<int>(r, "failures", 0));
    j.reason = field<std::string>(r, ledger::kReason, "");
    rank_idle_if_running(j.rank, id);
    j.rank = -1;
    j.ended = at;
    if (ev == ledger::event::kFailed) {
      ++failed_jobs_ever_;
      j.state = "failed";
    } else {
      j.state = "queued";
    }
  } else if (ev == ledger::event::kPreempted || ev == ledger::event::kStorageFailed) {
    if (ev == ledger::event::kPreempted) ++preemptions_;
    rank_idle_if_running(rank >= 0 ? rank : j.rank, id);
    j.state = ev == ledger::event::kPreempted ? "preempted" : "queued";
    j.reason = field<std::string>(r, ledger::kReason, "");
    j.rank = -1;
  } else if (ev == ledger::event::kFailuresReset) {
    j.failures = 0;
    if (j.state == "failed") j.state = "queued";
  }
}

json StatusModel::snapshot(double now, const json& outcome) const {
  const bool ended = std::isfinite(session_ended_);
  const double end = ended ? session_ended_ : now;
  int queued = 0, running = 0, done = 0, failed = 0, preempted = 0;
  int alive = 0, dead = 0, left = 0;
  json dead_ranks = json::array();
  for (const auto& [r, w] : ranks_) {
    if (w.state == "dead") {
      ++dead;
      dead_ranks.push_back(r);
    } else if (w.state == "left") {
      ++left;
    } else {
      ++alive;
    }
  }
  auto host_of = [&](int rank) -> json {
    auto it = rank_info_.find(rank);
    return it == rank_info_.end() || it->second.host.empty() ? json(nullptr) : json(it->second.host);
  };

  json jobs = json::array();
  double running_work = 0;
  int running_unknown = 0;
  double epoch_seconds_sum = 0;
  int epoch_seconds_n = 0, max_epochs_seen = 0;
  for (const auto& [id, j] : jobs_) {
    if (j.state == "queued") ++queued;
    else if (j.state == "running") ++running;
    else if (j.state == "done") ++done;
    else if (j.state == "failed") ++failed;
    else if (j.state == "preempted") ++preempted;
    max_epochs_seen = std::max(max_epochs_seen, j.max_epochs);
    double elapsed = NAN, eta = NAN;
    if (j.state == "running") {
      elapsed = end - j.started;
      // An epoch's wall time as the ledger saw it (data loading, validation and checkpoints
      // included), which is what the ETA is about; the trainer's epoch_seconds when times are missing.
      double per_epoch = NAN;
      if (j.attempt_epochs > 0 && j.last_progress > j.started)
        per_epoch = (j.last_progress - j.started) / j.attempt_epochs;
      else if (j.attempt_epochs > 0)
        per_epoch = j.attempt_epoch_seconds / j.attempt_epochs;
      if (std::isfinite(per_epoch) && j.max_epochs > 0) {
        eta = std::max(0, j.max_epochs - j.epoch) * per_epoch;
        epoch_seconds_sum += per_epoch * j.attempt_epochs;
        epoch_seconds_n += j.attempt_epochs;
        if (!ended) running_work += eta;
      } else {
        ++running_unknown;
      }
    } else if (j.state == "done") {
      elapsed = std::isfinite(j.seconds) ? j.seconds : j.ended - j.started;
    }
    jobs.push_back({{"job", id},
                    {"state", j.state},
                    {"attempt", j.attempt},
                    {"rank", j.rank >= 0 ? json(j.rank) : json(nullptr)},
                    {"host", j.rank >= 0 ? host_of(j.rank) : json(nullptr)},
                    {"epoch", j.epoch},
                    {"max_epochs", j.max_epochs},
                    {"val_rmse", number_or_null(j.val_rmse)},
                    {"best_val_rmse", number_or_null(j.best_val_rmse)},
                    {"epoch_seconds", number_or_null(j.epoch_seconds)},
                    {"elapsed_s", number_or_null(elapsed)},
                    {"eta_s", number_or_null(eta)},
                    {"failures", j.failures},
                    {"checkpoint_epoch", j.checkpoint_epoch >= 0 ? json(j.checkpoint_epoch) : json(nullptr)},
                    {"test_rmse", j.test_rmse},
                    {"reason", j.reason}});
  }

  // The run's ETA, a rough estimate: what the running jobs have left plus the pending ones at
  // the mean job length, shared among the live workers.
  json run_eta = nullptr;
  const int pending = queued + preempted;
  if (pending + running == 0) {
    run_eta = 0;
  } else if (!ended && alive > 0) {
    double job_seconds = done_count_timed_ > 0 ? done_seconds_ / done_count_timed_ : NAN;
    if (!std::isfinite(job_seconds) && epoch_seconds_n > 0 && max_epochs_seen > 0)
      job_seconds = max_epochs_seen * epoch_seconds_sum / epoch_seconds_n;
    if (std::isfinite(job_seconds))
      run_eta = (running_work + running_unknown * job_seconds + pending * job_seconds) / alive;
  }

  json ranks = json::array();
  for (const auto& [r, w] : ranks_) {
    auto info = rank_info_.find(r);
    auto heard = last_heard_.find(r);
    const bool live = w.state == "idle" || w.state == "busy";
    ranks.push_back({{"rank", r},
                     {"state", w.state},
                     {"job", w.job.empty() ? json(nullptr) : json(w.job)},
                     {"attempt", w.attempt},
                     {"host", host_of(r)},
                     {"pid", info == rank_info_.end() ? json(nullptr) : json(info->second.pid)},
                     {"heartbeat_age_s", heard != last_heard_.end() && live && !ended
                                             ? json(std::max(0.0, now - heard->second)) : json(nullptr)},
                     {"reason", w.reason}});
  }
  auto coordinator = rank_info_.find(0);

  std::string state = sessions_ == 0 ? "not started" : ended ? "ended" : "running";
  json doc{{"now", format_utc_iso(now)},
           {"state", state},
           {"session", {{"id", session_},
                        {"number", sessions_},
                        {"started", format_utc_iso(session_started_)},
                        {"ended", ended ? json(format_utc_iso(session_ended_)) : json(nullptr)},
                        {"outcome", session_outcome_},
                        {"reason", session_reason_},
                        {"draining", draining_reason_.empty() ? json(nullptr) : json(draining_reason_)}}},
           {"coordinator", coordinator == rank_info_.end()
                               ? json(nullptr)
                               : json{{"pid", coordinator->second.pid}, {"host", coordinator->second.host}}},
           {"elapsed_s", number_or_null(end - session_started_)},
           {"eta_s", run_eta},
           {"totals", {{"jobs", static_cast<int>(jobs_.size())},
                       {"queued", queued},
                       {"running", running},
                       {"done", done},
                       {"failed", failed},
                       {"preempted", preempted},
                       {"workers_alive", alive},
                       {"workers_dead", dead},
                       {"workers_left", left},
                       {"epochs_completed", epochs_completed_},
                       {"checkpoints", checkpoints_},
                       {"assignments", assignments_},
                       {"attempt_failures", attempt_failures_},
                       {"worker_deaths", worker_deaths_},
                       {"preemptions", preemptions_},
                       {"sessions", sessions_}}},
           {"dead_ranks", dead_ranks},
           {"jobs", jobs},
           {"ranks", ranks},
           {"ledger", {{"records", records_}, {"damaged_lines", damaged_lines_}, {"problem", ledger_problem_}}},
           {"outcome", outcome}};
  return doc;
}

}  // namespace amnl::orch
