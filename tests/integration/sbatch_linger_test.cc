// slurm/amnl.sbatch on its own ends an mpirun that lingers after the run is over. Across nodes,
// Open MPI 4.1's mpirun may never exit once a daemon was lost; the batch script waits for it and
// would hold the whole allocation until the time limit (and the report job would never start).
// A stand-in `mpirun` first on PATH plays that mpirun: it writes the session's final outcome and
// a rank 0 that has exited, then hangs.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include "integration/orch_helpers.h"

namespace amnl::test {
namespace {

using nlohmann::json;

// Regression (issue 23): the script waited for such an mpirun for ever.
TEST(SbatchLinger, AnMpirunThatOutlivesItsRunIsEndedAndTheOutcomeDecidesTheExitStatus) {
  TempDir dir;
  make_orch_data(dir / "data");
  const std::string exp = write_orch_experiment(dir, {"A"}, {1});
  const std::string run_dir = dir / "run";
  const std::string bin_dir = dir / "fakebin";
  ASSERT_EQ(::mkdir(bin_dir.c_str(), 0755), 0);
  // The outcome says "failed" (exit 1): the script must exit 1, whatever mpirun's status.
  write_file(bin_dir + "/mpirun",
             "#!/bin/sh\n"
             "mkdir -p '" + run_dir + "/ranks'\n"
             "sh -c 'exit 0' & gone=$!; wait $gone\n"
             "printf '{\"rank\":0,\"pid\":%d,\"host\":\"%s\"}\\n' \"$gone\" \"$(hostname)\" > '" + run_dir +
                 "/ranks/rank0.json'\n"
             "printf '{\"outcome\":\"failed\",\"rerun\":false,\"exit_code\":1}\\n' > '" + run_dir + "/outcome.json'\n"
             "echo $$ > '" + std::string(dir / "mpirun.pid") + "'\n"
             "exec sleep 600\n");
  ASSERT_EQ(::chmod((bin_dir + "/mpirun").c_str(), 0755), 0);

  const auto started = std::chrono::steady_clock::now();
  const auto r = run_command({"sh", "-c",
                              "PATH='" + bin_dir + "':$PATH AMNL_LINGER_S=2 AMNL_BIN='" + amnl_binary() +
                                  "' timeout 120 bash '" + source_dir() + "/slurm/amnl.sbatch' '" + exp + "'"});
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(r.exit_code, 1) << r.output;  // 124 would be the timeout: the script hung
  EXPECT_LT(took, 60) << r.output;
  EXPECT_NE(r.output.find("mpirun still runs: ending it"), std::string::npos) << r.output;
  const pid_t mpirun = std::stoi(read_file(dir / "mpirun.pid"));
  EXPECT_TRUE(wait_until([&] { return !process_alive(mpirun); }, 10)) << "the lingering mpirun was left running";
}

// An outcome left by an earlier session is not this one's: the script does not end a run that
// is still starting (the stand-in writes nothing and exits by itself after 4 s).
TEST(SbatchLinger, AnOutcomeOfAnEarlierSessionDoesNotEndTheRun) {
  TempDir dir;
  make_orch_data(dir / "data");
  const std::string exp = write_orch_experiment(dir, {"A"}, {1});
  const std::string run_dir = dir / "run";
  ASSERT_EQ(::mkdir(run_dir.c_str(), 0755), 0);
  write_file(run_dir + "/outcome.json", "{\"outcome\":\"complete\",\"rerun\":false,\"exit_code\":0}\n");
  ASSERT_EQ(::system(("touch -d '2 hours ago' '" + run_dir + "/outcome.json'").c_str()), 0);
  const std::string bin_dir = dir / "fakebin";
  ASSERT_EQ(::mkdir(bin_dir.c_str(), 0755), 0);
  write_file(bin_dir + "/mpirun", "#!/bin/sh\nsleep 4\nexit 0\n");
  ASSERT_EQ(::chmod((bin_dir + "/mpirun").c_str(), 0755), 0);
  const auto r = run_command({"sh", "-c",
                              "PATH='" + bin_dir + "':$PATH AMNL_LINGER_S=1 AMNL_BIN='" + amnl_binary() +
                                  "' timeout 120 bash '" + source_dir() + "/slurm/amnl.sbatch' '" + exp + "'"});
  EXPECT_EQ(r.output.find("ending it"), std::string::npos) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;  // the (old) outcome's code, read after mpirun exited
}

}  // namespace
}  // namespace amnl::test
