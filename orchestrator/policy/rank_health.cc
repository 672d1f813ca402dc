#include "orchestrator/policy/rank_health.h"

#include <algorithm>

namespace amnl::orch {

std::vector<RankHealth::Exclusion> RankHealth::on_failure(int rank, const std::string& job,
                                                          const std::string& reason) {
  failed_on_[job].insert(rank);
  Streak& s = streaks_[rank];
  if (std::find(s.jobs.begin(), s.jobs.end(), job) == s.jobs.end()) s.jobs.push_back(job);
  s.last_reason = reason;
  return exclude_if_proven(rank);
}

std::vector<RankHealth::Exclusion> RankHealth::on_done(int rank, const std::string& job) {
  done_by_[job] = rank;
  streaks_.erase(rank);
  std::vector<Exclusion> out;
  for (const auto& [other, streak] : streaks_) {
    if (std::find(streak.jobs.begin(), streak.jobs.end(), job) == streak.jobs.end()) continue;
    for (Exclusion& e : exclude_if_proven(other)) out.push_back(std::move(e));
  }
  return out;
}

bool RankHealth::failed_on(const std::string& job, int rank) const {
  const auto it = failed_on_.find(job);
  return it != failed_on_.end() && it->second.count(rank) > 0;
}

std::vector<RankHealth::Exclusion> RankHealth::exclude_if_proven(int rank) {
  if (excluded(rank)) return {};
  const Streak& s = streaks_[rank];
  if (static_cast<int>(s.jobs.size()) < kFailuresToExclude) return {};
  for (const std::string& job : s.jobs) {
    const auto done = done_by_.find(job);
    if (done == done_by_.end()) continue;
    excluded_.insert(rank);
    std::string jobs;
    for (const std::string& j : s.jobs) jobs += (jobs.empty() ? "" : ", ") + j;
    return {Exclusion{rank, "failed " + std::to_string(s.jobs.size()) + " jobs in a row (" + jobs + "), and " + job +
                                " then finished on rank " + std::to_string(done->second) +
                                ": this rank's node is suspect; last error: " + s.last_reason}};
  }
  return {};
}

}  // namespace amnl::orch
