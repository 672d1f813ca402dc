#include "orchestrator/status/status_format.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "orchestrator/rundir/utc_time.h"

namespace amnl::orch {

using nlohmann::json;

namespace {

std::string text(const json& j, const char* key, const std::string& fallback = "-") {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>().empty() ? fallback : it->get<std::string>();
  return it->dump();
}

std::string fixed(const json& x, int digits) {
  if (!x.is_number()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x.get<double>());
  return buf;
}

// Reads never throw: a field of another type (or null) reads as 0.
int count(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<int>() : 0;
}

json member(const json& j, const char* key) {
  return j.is_object() && j.contains(key) ? j[key] : json();
}

// A duration field (seconds, or null) in the one form (utc_time.h).
std::string duration(const json& seconds) { return format_duration(seconds.is_number() ? seconds.get<double>() : NAN); }

// "run <dir>: <state> (session ..)  elapsed ..  ETA ..", and whether it drains.
std::string header_lines(const json& st) {
  std::ostringstream out;
  const json session = member(st, "session");
  out << "run " << text(st, "run_dir") << ": " << text(st, "state");
  if (session.is_object() && !text(session, "id", "").empty())
    out << " (session " << text(session, "id") << ", started " << text(session, "started") << ")";
  out << "  elapsed " << duration(member(st, "elapsed_s")) << "  ETA " << duration(member(st, "eta_s")) << "\n";
  if (session.is_object() && session.contains("draining") && !session["draining"].is_null())
    out << "draining: " << text(session, "draining") << " (no new assignments)\n";
  return out.str();
}

// The squeue-style table: a header, then one line per job.
std::string job_table(const json& jobs) {
  std::string out;
  char line[512];
  // BEST_VAL: the selection RMSE (last-window validation by default); VAL_ALL: the latest epoch's
  // RMSE over every window of the held-out units, the second curve.
  std::snprintf(line, sizeof line, "%-20s %-9s %4s %5s %-16s %9s %10s %9s %9s %9s\n", "JOB", "STATE", "ATT", "RANK",
                "HOST", "EPOCH", "BEST_VAL", "VAL_ALL", "ELAPSED", "ETA");
  out += line;
  for (const json& j : jobs) {
    const std::string epoch = std::to_string(count(j, "epoch")) + "/" +
                              (count(j, "max_epochs") > 0 ? std::to_string(count(j, "max_epochs")) : "?");
    std::snprintf(line, sizeof line, "%-20s %-9s %4s %5s %-16s %9s %10s %9s %9s %9s\n", text(j, "job").c_str(),
                  text(j, "state").c_str(), count(j, "attempt") > 0 ? std::to_string(count(j, "attempt")).c_str() : "-",
                  text(j, "rank").c_str(), text(j, "host").c_str(), epoch.c_str(),
                  fixed(member(j, "best_val_rmse"), 3).c_str(), fixed(member(j, "val_all_windows_rmse"), 3).c_str(),
                  duration(member(j, "elapsed_s")).c_str(), duration(member(j, "eta_s")).c_str());
    out += line;
  }
  return out;
}

// "jobs: ..." and "workers: ..." totals.
std::string totals_lines(const json& st) {
  std::ostringstream out;
  const json totals = member(st, "totals");
  out << "jobs: " << count(totals, "jobs") << " total, " << count(totals, "done") << " done, "
      << count(totals, "running") << " running, " << count(totals, "queued") << " queued, "
      << count(totals, "preempted") << " preempted, " << count(totals, "failed") << " failed; "
      << count(totals, "epochs_completed") << " epochs, " << count(totals, "assignments") << " assignments, "
      << count(totals, "attempt_failures") << " failed attempts\n";
  out << "workers: " << count(totals, "workers_alive") << " alive";
  if (count(totals, "workers_excluded") > 0) out << " (" << count(totals, "workers_excluded") << " excluded)";
  out << ", " << count(totals, "workers_dead") << " dead";
  const json dead = member(st, "dead_ranks");
  if (!dead.empty()) {
    out << " (rank";
    for (const json& r : dead) out << " " << r.dump();
    out << ")";
  }
  out << ", " << count(totals, "workers_left") << " left\n";
  return out.str();
}

// Why ranks are gone or excluded, and why jobs failed or wait.
std::string why_lines(const json& st) {
  std::ostringstream out;
  for (const json& r : member(st, "ranks")) {
    const std::string state = text(r, "state");
    if (state == "dead" || state == "left")
      out << "  rank " << text(r, "rank") << " " << state << ": " << text(r, "reason") << "\n";
    else if (member(r, "excluded") == json(true))
      out << "  rank " << text(r, "rank") << (text(r, "host", "").empty() ? "" : " on " + text(r, "host"))
          << " excluded (" << state << "): " << text(r, "reason") << "\n";
  }
  for (const json& j : member(st, "jobs"))
    if (text(j, "state") == "failed" || (!text(j, "reason", "").empty() && text(j, "state") != "done"))
      out << "  " << text(j, "job") << " (" << text(j, "state") << ", " << count(j, "failures")
          << " failures): " << text(j, "reason") << "\n";
  return out.str();
}

// A gone coordinator, outcome.json (and the session it replaced), and ledger damage.
std::string outcome_lines(const json& st) {
  std::ostringstream out;
  const json coordinator = member(st, "coordinator");
  if (member(coordinator, "alive") == json(false))
    out << "warning: the coordinator (pid " << text(coordinator, "pid") << " on " << text(coordinator, "host")
        << ") is gone; the ledger stops where it died. Rerun the same command to resume.\n";
  const json outcome = member(st, "outcome");
  if (outcome.is_object()) {
    out << "outcome.json: " << text(outcome, "outcome") << " (exit " << text(outcome, "exit_code") << ")"
        << (text(outcome, "reason", "").empty() ? "" : ": " + text(outcome, "reason")) << "\n";
    // A refused resubmission replaced the outcome of the session that really ran: show that too.
    const json last = member(outcome, "last_session");
    if (last.is_object())
      out << "  the run's last session before that: " << text(last, "outcome") << " (exit "
          << text(last, "exit_code") << ", " << text(last, "updated") << ")"
          << (text(last, "reason", "").empty() ? "" : ": " + text(last, "reason")) << "\n";
  }
  const json ledger = member(st, "ledger");
  if (ledger.is_object() && count(ledger, "damaged_lines") > 0)
    out << "warning: ledger.jsonl has " << count(ledger, "damaged_lines")
        << " damaged line(s) (first: " << text(ledger, "problem") << "); they are left out\n";
  return out.str();
}

}  // namespace

std::string format_status_table(const json& st) {
  std::ostringstream out;
  out << header_lines(st) << job_table(member(st, "jobs")) << totals_lines(st) << why_lines(st)
      << outcome_lines(st);
  return out.str();
}

std::string dump_status_json(const json& status, int indent) {
  return status.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace amnl::orch
