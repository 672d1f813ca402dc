#pragma once
// Which worker ranks to trust with which jobs, within one session (a new mpirun numbers its
// ranks anew, so nothing here is replayed).
//
// A rank on a broken node (the data mount missing, a full local disk, a bad GPU) fails every
// job it is given, and fails it fast, so it is always the first rank to ask for work again:
// without this policy it would take each job back and burn all of its max_attempts within
// seconds while the healthy ranks are busy, failing the whole experiment for one bad node.
//  - A job is not given again to a rank it failed on while another usable rank could take it.
//  - A rank is excluded (no new job, its running one may finish) once it has failed
//    kFailuresToExclude attempts of different jobs in a row and one of those jobs has since
//    been done by another rank: proof that the rank, not the job, was at fault. A job that
//    fails everywhere (a bad data file) never excludes a rank: it never finishes elsewhere.
#include <map>
#include <set>
#include <string>
#include <vector>

namespace amnl::orch {

class RankHealth {
 public:
  static constexpr int kFailuresToExclude = 3;

  struct Exclusion {
    int rank = 0;
    std::string reason;
  };

  // An attempt of `job` failed on `rank` for its own reasons (not a death, preemption or
  // storage failure). Returns the exclusions this causes (none or this rank).
  std::vector<Exclusion> on_failure(int rank, const std::string& job, const std::string& reason);
  // `job` was done by `rank`: that rank's streak ends; ranks whose streak holds this job are
  // excluded when their streak is long enough. Returns the new exclusions.
  std::vector<Exclusion> on_done(int rank, const std::string& job);

  bool failed_on(const std::string& job, int rank) const;
  bool excluded(int rank) const { return excluded_.count(rank) > 0; }

 private:
  struct Streak {
    std::vector<std::string> jobs;  // distinct jobs failed in a row, oldest first
    std::string last_reason;
  };
  std::vector<Exclusion> exclude_if_proven(int rank);

  std::map<int, Streak> streaks_;
  std::map<std::string, std::set<int>> failed_on_;
  std::map<std::string, int> done_by_;  // job -> rank, this session
  std::set<int> excluded_;
};

}  // namespace amnl::orch
