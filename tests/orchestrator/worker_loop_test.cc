// The worker loop in-process, over a scripted coordinator (no MPI).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <thread>

#include "orchestrator/rundir/lease.h"
#include "orchestrator/ranks/worker_loop.h"
#include "queued_transport.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

// Rank 1's view of a coordinator that starts it, assigns one job, and sends SHUTDOWN once the
// job has begun.
class ScriptedCoordinator final : public QueuedTransport {
 public:
  ScriptedCoordinator(std::string job_dir, std::string session, const std::atomic<bool>& job_started)
      : job_dir_(std::move(job_dir)), session_(std::move(session)), job_started_(job_started) {}
  int rank() const override { return 1; }
  int size() const override { return 2; }
  void send(int, MsgKind kind, const json&) override {
    if (kind == MsgKind::kHello) inbox_.push_back(Message{MsgKind::kStart, 0, {{"run_dir", job_dir_}}});
    if (kind == MsgKind::kReady && !assigned_) {
      assigned_ = true;
      inbox_.push_back(Message{MsgKind::kAssign, 0,
                               {{"job", "X-s1"}, {"dataset", "X"}, {"seed", 1}, {"job_dir", job_dir_},
                                {"attempt", 1}, {"session", session_}}});
    }
  }
  std::optional<Message> poll() override {
    if (job_started_ && !shutdown_sent_) {
      shutdown_sent_ = true;
      inbox_.push_back(Message{MsgKind::kShutdown, 0, json::object()});
    }
    return take_queued();
  }
  void forget(int) override {}
  void readmit(int) override {}

 private:
  std::string job_dir_, session_;
  const std::atomic<bool>& job_started_;
  bool assigned_ = false, shutdown_sent_ = false;
};

// What a trainer that ignores stop requests saw once it woke up after the worker had exited.
struct Observed {
  std::atomic<bool> started{false}, release{false}, finished{false};
  std::atomic<bool> saw_stop{false}, still_owner{false};
};

// Regression: a worker whose trainer did not stop within the grace detached the training thread
// and destroyed the job object that thread still used (use after free; ASan reports it, see
// scripts/sanitize.sh). The abandoned thread must keep everything it touches alive.
TEST(WorkerLoopTest, ATrainerThatIgnoresStopOutlivesTheWorkerSafely) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  ASSERT_TRUE(write_lease(*storage, dir.path(), "X-s1", 1, 1, "sess").ok());
  auto seen = std::make_shared<Observed>();
  WorkerExit how;
  {
    ScriptedCoordinator coordinator(dir.path(), "sess", seen->started);
    WorkerSignals signals;
    WorkerOptions opt;
    opt.job_stop_grace_s = 0.1;
    opt.poll_interval_s = 0.001;
    // A temporary JobRunnerFn: the worker must not keep a reference to it.
    how = run_worker(
        coordinator,
        JobRunnerFn([seen](const JobRequest&, const JobCallbacks& cb) {
          seen->started = true;
          while (!seen->release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          // The worker has returned and its objects are gone: use every callback anyway.
          for (int i = 0; i < 100; ++i) {
            JobProgress p;
            p.epoch = i;
            cb.on_progress(p);
          }
          seen->saw_stop = cb.stop_requested->load();
          seen->still_owner = cb.still_owner();
          seen->finished = true;
          JobResult r;
          r.end = JobEnd::kPreempted;
          return r;
        }),
        signals, opt);
  }
  EXPECT_EQ(how, WorkerExit::kShutdown);
  EXPECT_TRUE(seen->started);
  EXPECT_FALSE(seen->finished);  // abandoned, still running
  seen->release = true;
  for (int i = 0; i < 2000 && !seen->finished; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(seen->finished);
  EXPECT_TRUE(seen->saw_stop);      // the stop request it was given is still readable
  EXPECT_TRUE(seen->still_owner);   // and the lease check still works
}

}  // namespace
}  // namespace amnl::orch
