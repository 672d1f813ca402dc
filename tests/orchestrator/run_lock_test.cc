// One live session per run dir: a second `amnl run` is refused, naming the holder, and writes
// nothing; the holder's death (even SIGKILL) frees the run dir.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "orchestrator/rundir/run_lock.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

TEST(RunLockTest, ASecondSessionIsRefusedNamingTheHolderAndWritesNothing) {
  test::TempDir dir;
  const std::string run = dir / "run";
  auto first = RunDirLock::acquire(run, "aaaa");
  ASSERT_TRUE(first.ok()) << first.message();
  const std::string holder = test::read_file(lock_path(run));
  const auto holder_json = nlohmann::json::parse(holder);
  EXPECT_EQ(holder_json["session"], "aaaa");
  EXPECT_EQ(holder_json["pid"], static_cast<long>(::getpid()));

  auto second = RunDirLock::acquire(run, "bbbb");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.message().find("in use by session aaaa"), std::string::npos) << second.message();
  EXPECT_NE(second.message().find("pid " + std::to_string(::getpid())), std::string::npos) << second.message();
  EXPECT_NE(second.message().find(run), std::string::npos) << second.message();
  EXPECT_EQ(test::read_file(lock_path(run)), holder);  // the refused session changed nothing
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(run)) ++entries;
  EXPECT_EQ(entries, 1u);

  first = Result<RunDirLock>::Error("released");  // the first session ends
  auto third = RunDirLock::acquire(run, "cccc");
  ASSERT_TRUE(third.ok()) << third.message();
  EXPECT_EQ(nlohmann::json::parse(test::read_file(lock_path(run)))["session"], "cccc");
}

TEST(RunLockTest, TheHoldersDeathFreesTheRunDir) {
  test::TempDir dir;
  const std::string run = dir / "run";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = RunDirLock::acquire(run, "child");
    const char c = lock.ok() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  EXPECT_FALSE(RunDirLock::acquire(run, "parent").ok());
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  auto lock = RunDirLock::acquire(run, "parent");
  EXPECT_TRUE(lock.ok()) << lock.message();
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(RunLockTest, SessionIdsDiffer) {
  EXPECT_NE(new_session_id(), new_session_id());
  EXPECT_EQ(new_session_id().size(), 16u);
}

}  // namespace
}  // namespace amnl::orch
