#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "orchestrator/rundir/job_id.h"
#include "orchestrator/rundir/lease.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

TEST(JobIdTest, StableIdsAndDirs) {
  EXPECT_EQ(job_id(JobKey{"FD002", 123}), "FD002-s123");
  auto k = parse_job_id("my-set-s7");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->dataset, "my-set");
  EXPECT_EQ(k->seed, 7);
  EXPECT_FALSE(parse_job_id("../x-s1").ok());
  EXPECT_FALSE(parse_job_id("FD001-sx").ok());
  auto d = job_dir("/runs/r", JobKey{"FD001", 42});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "/runs/r/jobs/FD001/seed_42");
  EXPECT_FALSE(job_dir("/runs/r", JobKey{"..", 1}).ok());
}

struct LeaseHolder {
  int attempt;
  int64_t token;
  std::string session;
};

// FD001-s1's lease written for `first`, then for `second`: first owns the job until second's
// lease is written, then only second does, and once lease.json holds `garbage` nobody does.
void expect_the_second_lease_fences_the_first(const test::TempDir& dir, const LeaseHolder& first,
                                              const LeaseHolder& second, const std::string& garbage) {
  auto storage = make_posix_storage();
  const std::string jd = dir / "jobs/FD001/seed_1";
  ASSERT_TRUE(write_lease(*storage, jd, "FD001-s1", first.attempt, first.token, first.session).ok());
  EXPECT_TRUE(lease_owned_by(*storage, jd, first.attempt, first.session));
  ASSERT_TRUE(write_lease(*storage, jd, "FD001-s1", second.attempt, second.token, second.session).ok());
  EXPECT_FALSE(lease_owned_by(*storage, jd, first.attempt, first.session));
  EXPECT_TRUE(lease_owned_by(*storage, jd, second.attempt, second.session));
  test::write_file(lease_path(jd), garbage);
  EXPECT_FALSE(lease_owned_by(*storage, jd, second.attempt, second.session));
}

TEST(LeaseTest, OnlyTheNewestAttemptOwnsTheJob) {
  test::TempDir dir;
  EXPECT_FALSE(lease_owned_by(*make_posix_storage(), dir / "jobs/FD001/seed_1", 1, "s1"));  // no lease: nobody's
  // The stale attempt is fenced; garbage is not ownership.
  expect_the_second_lease_fences_the_first(dir, {1, 3, "s1"}, {2, 4, "s1"}, "{\"attempt\": ");
}

// Attempt numbers come from the ledger; a session that lost records could reuse one. The lease's
// session id keeps an earlier session's straggler with the same number fenced.
TEST(LeaseTest, TheSameAttemptNumberOfAnotherSessionIsFenced) {
  test::TempDir dir;
  // A lease without a session is nobody's.
  expect_the_second_lease_fences_the_first(dir, {3, 1, "old-session"}, {3, 2, "new-session"},
                                           R"({"job": "FD001-s1", "attempt": 3})");
}

// The fencing token orders the attempts' commits (worker/checkpoint_store.h): it must grow with
// every lease of the job, across sessions, and even when lease.json was lost or torn.
TEST(LeaseTest, TheFencingTokenGrowsWithEveryLeaseAndIsOnlyTheOwnersToRead) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  const std::string jd = dir / "jobs/FD001/seed_1";
  ASSERT_TRUE(write_lease(*storage, jd, "FD001-s1", 1, 1, "s1").ok());
  const auto first = owned_lease_token(*storage, jd, 1, "s1");
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(owned_lease_token(*storage, jd, 2, "s1")) << "another attempt's token";
  EXPECT_FALSE(owned_lease_token(*storage, jd, 1, "s2")) << "another session's token";
  ASSERT_TRUE(write_lease(*storage, jd, "FD001-s1", 2, 1, "s1").ok());
  const auto second = owned_lease_token(*storage, jd, 2, "s1");
  ASSERT_TRUE(second.has_value());
  EXPECT_GT(*second, *first);
  EXPECT_FALSE(owned_lease_token(*storage, jd, 1, "s1")) << "the stale attempt no longer reads a token";
  // A token far ahead of the clock (another host's) still grows by one.
  test::write_file(lease_path(jd), R"({"job": "FD001-s1", "attempt": 2, "session": "s1", "token": 9000000000000})");
  ASSERT_TRUE(write_lease(*storage, jd, "FD001-s1", 1, 1, "s2").ok());
  EXPECT_EQ(owned_lease_token(*storage, jd, 1, "s2"), 9000000000001);
  // A torn lease does not start the tokens over below those already handed out (the clock floor:
  // a few milliseconds later than the second lease).
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  test::write_file(lease_path(jd), "{\"token\": ");
  ASSERT_TRUE(write_lease(*storage, jd, "FD001-s1", 3, 1, "s3").ok());
  EXPECT_GT(*owned_lease_token(*storage, jd, 3, "s3"), *second);
  test::write_file(lease_path(jd), R"({"job": "FD001-s1", "attempt": 3, "session": "s3"})");
  EXPECT_FALSE(owned_lease_token(*storage, jd, 3, "s3")) << "a lease without a token fences nothing";
}

}  // namespace
}  // namespace amnl::orch
