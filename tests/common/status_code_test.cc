// Status codes: callers branch on them (a missing file is NotFound, a full disk NoSpace), so the
// storage seam and its fault-injecting twin must give the right one, and context must keep it.
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>

#include "common/fault_injecting_storage.h"
#include "common/storage.h"
#include "support/test_support.h"

namespace amnl {
namespace {

::testing::AssertionResult HasCode(const Status& st, StatusCode code) {
  if (st.code() == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "code " << status_code_name(st.code()) << ", wanted "
                                       << status_code_name(code) << ": " << st.message();
}
template <typename T>
::testing::AssertionResult HasCode(const Result<T>& r, StatusCode code) {
  if (r.ok()) return ::testing::AssertionFailure() << "succeeded, wanted " << status_code_name(code);
  return HasCode(r.status(), code);
}

TEST(StatusCode, EachMakerGivesItsCodeAndErrorStaysGeneric) {
  EXPECT_TRUE(HasCode(Status::Ok(), StatusCode::kOk));
  EXPECT_TRUE(HasCode(Status::Error("x"), StatusCode::kUnknown));
  EXPECT_FALSE(Status::Error("").ok());
  EXPECT_TRUE(Status::NotFound("x").IsNotFound());
  EXPECT_TRUE(Status::Corruption("x").IsCorruption());
  EXPECT_TRUE(Status::InvalidArgument("x").IsInvalidArgument());
  EXPECT_TRUE(Status::IOError("x").IsIOError());
  EXPECT_TRUE(Status::NoSpace("x").IsNoSpace());
  EXPECT_FALSE(Status::IOError("x").IsNotFound());
  EXPECT_EQ(Status::NoSpace("disk").message(), "disk");
  EXPECT_EQ(Status::Ok().message(), "ok");
}

TEST(StatusCode, WithContextKeepsTheCodeAndResultExposesIt) {
  const Status st = Status::NotFound("ledger.jsonl: No such file").with_context("reading ledger");
  EXPECT_TRUE(st.IsNotFound());
  EXPECT_EQ(st.message(), "reading ledger: ledger.jsonl: No such file");
  EXPECT_TRUE(Status::NoSpace("x").with_context("a").with_context("b").IsNoSpace());
  EXPECT_TRUE(Status::Ok().with_context("nothing").ok());
  const Result<int> r = Status::Corruption("torn");
  EXPECT_EQ(r.code(), StatusCode::kCorruption);
  EXPECT_FALSE(r.IsNotFound());
  EXPECT_TRUE(Result<int>(Status::NotFound("x")).IsNotFound());
  EXPECT_TRUE(HasCode(Result<int>::Error("x"), StatusCode::kUnknown));
}

TEST(PosixStorageCodes, AMissingFileIsNotFoundEvenBelowAFile) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  EXPECT_TRUE(HasCode(storage->read(dir / "absent.json"), StatusCode::kNotFound));
  EXPECT_TRUE(HasCode(storage->read(dir / "no_dir/absent.json"), StatusCode::kNotFound));
  // A path through a regular file (ENOTDIR) is absent too, as exists() says.
  ASSERT_TRUE(storage->write_atomic(dir / "file", "x").ok());
  EXPECT_FALSE(storage->exists(dir / "file/inner"));
  EXPECT_TRUE(HasCode(storage->read(dir / "file/inner"), StatusCode::kNotFound));
  EXPECT_TRUE(HasCode(storage->list_files(dir / "no_dir"), StatusCode::kNotFound));
  EXPECT_TRUE(HasCode(storage->link_atomic(dir / "absent", dir / "to"), StatusCode::kNotFound));
  // The message is as before: the operation, the path, the system's words.
  EXPECT_EQ(storage->read(dir / "absent.json").message(), "cannot open " + (dir / "absent.json") +
                                                              ": No such file or directory");
}

TEST(PosixStorageCodes, ADirectoryOrAFifoReadIsAnIOError) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  ASSERT_TRUE(storage->make_dirs(dir / "sub").ok());
  EXPECT_TRUE(HasCode(storage->read(dir / "sub"), StatusCode::kIOError));
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_TRUE(HasCode(storage->read(dir / "fifo"), StatusCode::kIOError));
  // A directory where a file is written is no absence either.
  EXPECT_TRUE(HasCode(storage->write_atomic(dir / "sub", "x"), StatusCode::kIOError));
}

// Root reads files of any mode: as root, the read runs in a child that became nobody.
TEST(PosixStorageCodes, APermissionErrorIsAnIOError) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  ASSERT_TRUE(storage->write_atomic(dir / "secret", "x").ok());
  ASSERT_EQ(::chmod((dir / "secret").c_str(), 0), 0);
  if (::geteuid() != 0) {
    EXPECT_TRUE(HasCode(storage->read(dir / "secret"), StatusCode::kIOError));
    return;
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    constexpr uid_t kNobody = 65534;
    if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(2);
    ::_exit(storage->read(dir / "secret").status().IsIOError() ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "1: not an IOError; 2: could not become nobody";
}

TEST(PosixStorageCodes, AWriteToAReadOnlyDiskIsAnIOError) {
  test::SmallDisk disk(64 * 1024);
  if (!disk.ok()) GTEST_SKIP() << disk.why();
  auto storage = make_posix_storage();
  ASSERT_TRUE(storage->write_atomic(disk / "kept", "x").ok());
  ASSERT_EQ(::mount(nullptr, disk.path().c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0);
  EXPECT_TRUE(HasCode(storage->write_atomic(disk / "state.json", "x"), StatusCode::kIOError));
  EXPECT_TRUE(HasCode(storage->append(disk / "kept", "y"), StatusCode::kIOError));
  EXPECT_EQ(*storage->read(disk / "kept"), "x");
  ASSERT_EQ(::mount(nullptr, disk.path().c_str(), nullptr, MS_REMOUNT, nullptr), 0);
}

TEST(PosixStorageCodes, AFullDiskIsNoSpace) {
  test::SmallDisk disk(64 * 1024);
  if (!disk.ok()) GTEST_SKIP() << disk.why();
  auto storage = make_posix_storage();
  ASSERT_TRUE(storage->append(disk / "journal", "first\n").ok());
  disk.fill(8192);
  const Status appended = storage->append(disk / "journal", std::string(20000, 'r'));
  EXPECT_TRUE(HasCode(appended, StatusCode::kNoSpace));
  EXPECT_TRUE(appended.with_context("appending to the ledger").IsNoSpace());
  EXPECT_TRUE(HasCode(storage->write_atomic(disk / "state.json", std::string(30000, 'n')), StatusCode::kNoSpace));
  disk.release();
  EXPECT_TRUE(storage->append(disk / "journal", "second\n").ok());
}

TEST(FaultInjectingStorageCodes, InjectedFaultsCarryTheCodesOfTheFailuresTheyStandFor) {
  test::TempDir dir;
  FaultInjectingStorage storage(make_posix_storage());
  storage.fail_next_mutations(5);  // EIO, say
  EXPECT_TRUE(HasCode(storage.write_atomic(dir / "a", "x"), StatusCode::kIOError));
  EXPECT_TRUE(HasCode(storage.append(dir / "a", "x"), StatusCode::kIOError));
  EXPECT_TRUE(HasCode(storage.remove(dir / "a"), StatusCode::kIOError));
  EXPECT_TRUE(HasCode(storage.make_dirs(dir / "d"), StatusCode::kIOError));
  EXPECT_TRUE(HasCode(storage.link_atomic(dir / "a", dir / "b"), StatusCode::kIOError));
  storage.set_appends_failing(true);  // a full disk
  EXPECT_TRUE(HasCode(storage.append(dir / "journal", "x"), StatusCode::kNoSpace));
  storage.set_appends_failing(false);
  storage.tear_next_append(1);  // a process killed mid-write
  EXPECT_TRUE(HasCode(storage.append(dir / "journal", "xy"), StatusCode::kIOError));
  // What it passes through keeps the real storage's code.
  EXPECT_TRUE(HasCode(storage.read(dir / "absent"), StatusCode::kNotFound));
}

}  // namespace
}  // namespace amnl
