// The cluster harness itself: nodes with their own hostnames that mpirun spans, faults that do
// what they say (a crash leaves nothing, a partition stops TCP and a heal restores it), a
// teardown that leaves nothing, and the sweep of what a killed test process left behind.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "cluster/netns_cluster.h"
#include "integration/orch_helpers.h"

namespace amnl::test {
namespace {

namespace fs = std::filesystem;

#define SKIP_WITHOUT_NAMESPACES()                                     \
  do {                                                                \
    const std::string why = NetnsCluster::unavailable();              \
    if (!why.empty()) GTEST_SKIP() << "no namespace cluster: " << why; \
  } while (0)

// Whether node `from` can open a TCP connection to node `to` within 3 s: a listener runs in
// `to`'s network namespace on a thread of this process (setns is per thread), the client is
// bash's /dev/tcp inside `from`.
bool can_connect(const NetnsCluster& c, int from, int to) {
  std::promise<int> port;
  auto listener = std::async(std::launch::async, [&] {
    const int ns = ::open(("/var/run/netns/" + c.node(to)).c_str(), O_RDONLY);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) { port.set_value(-1); return false; }
    ::close(ns);
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    socklen_t len = sizeof a;
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(s, 1);
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    port.set_value(ntohs(a.sin_port));
    pollfd p{s, POLLIN, 0};
    const bool accepted = ::poll(&p, 1, 4000) == 1;
    ::close(s);
    return accepted;
  });
  const int p = port.get_future().get();
  if (p < 0) return false;
  const std::string dev = "/dev/tcp/" + c.address(to) + "/" + std::to_string(p);
  const auto r = run_command(c.on_node(from, {"timeout", "3", "bash", "-c", "echo hi > " + dev}));
  return listener.get() && r.exit_code == 0;
}

TEST(NetnsClusterTest, MpirunSpansNodesWithTheirOwnHostnames) {
  SKIP_WITHOUT_NAMESPACES();
  NetnsCluster c(3);
  TempDir logs;
  Spawned mpirun(c.mpirun_argv(6, {"hostname"}), logs / "mpirun.log");
  ASSERT_EQ(mpirun.wait(60), 0) << read_file(logs / "mpirun.log");
  const std::string out = read_file(logs / "mpirun.log");
  for (int i = 1; i <= 3; ++i) {  // --map-by node: two ranks on each node
    size_t n = 0;
    for (auto at = out.find(c.node(i)); at != std::string::npos; at = out.find(c.node(i), at + 1)) ++n;
    EXPECT_EQ(n, 2u) << c.node(i) << " in:\n" << out;
  }
  EXPECT_EQ(c.describe_processes(), "");
}

// A clone under /tmp builds its binary where no node can see it (each has a private /tmp): every
// cluster test of such a clone waited 240 s for an outcome mpirun could never start.
TEST(NetnsClusterTest, AProgramUnderTmpIsMadeVisibleOnEveryNode) {
  SKIP_WITHOUT_NAMESPACES();
  NetnsCluster c(2);
  const std::string dir = "/tmp/amnl-visible-" + std::to_string(::getpid());
  fs::create_directories(dir);
  const std::string program = dir + "/say-hi";
  write_file(program, "#!/bin/sh\necho hi-from-$(hostname)\n");
  fs::permissions(program, fs::perms::owner_all, fs::perm_options::add);
  const auto hidden = run_command(c.on_node(1, {program}));
  EXPECT_NE(hidden.exit_code, 0) << "the node's /tmp is expected to be its own";
  const std::string visible = c.visible_on_nodes(program);
  EXPECT_EQ(visible.rfind(c.shared_dir(), 0), 0u) << visible;
  for (int i = 1; i <= 2; ++i) {
    const auto r = run_command(c.on_node(i, {visible}));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("hi-from-" + c.node(i)), std::string::npos) << r.output;
  }
  EXPECT_EQ(c.visible_on_nodes("/usr/bin/env"), "/usr/bin/env");
  fs::remove_all(dir);
}

TEST(NetnsClusterTest, CrashKillsEverythingOnTheNodeAndPartitionCutsTcpUntilHealed) {
  SKIP_WITHOUT_NAMESPACES();
  NetnsCluster c(2);
  TempDir logs;
  Spawned sleeper(c.on_node(2, {"sleep", "300"}), logs / "sleep.log");
  ASSERT_TRUE(wait_until([&] { return !c.processes(2).empty(); }, 10));
  EXPECT_EQ(c.processes(1).size(), 0u);
  c.crash(2);
  EXPECT_EQ(c.processes(2).size(), 0u) << c.describe_processes();
  EXPECT_EQ(sleeper.wait(5), -SIGKILL);

  ASSERT_TRUE(can_connect(c, 2, 1));
  c.partition(2);
  EXPECT_FALSE(can_connect(c, 2, 1));
  EXPECT_FALSE(can_connect(c, 1, 2));
  c.heal(2);
  EXPECT_TRUE(can_connect(c, 2, 1));
}

TEST(NetnsClusterTest, TeardownLeavesNoNamespaceLinkOrFileEvenWithProcessesRunning) {
  SKIP_WITHOUT_NAMESPACES();
  std::vector<std::string> names;
  std::string shared;
  TempDir logs;
  {
    NetnsCluster c(2);
    shared = c.shared_dir();
    for (int i = 1; i <= 2; ++i) names.push_back(c.node(i));
    names.push_back(c.veth(1));
    Spawned stopped(c.on_node(1, {"sleep", "300"}), logs / "sleep.log");
    ASSERT_TRUE(wait_until([&] { return !c.processes(1).empty(); }, 10));
    ::kill(stopped.pid(), SIGSTOP);  // a stopped process must not block the teardown
    c.partition(2);
  }
  const std::string netns = run_command({"ip", "netns", "list"}).output;
  const std::string links = run_command({"ip", "-o", "link", "show"}).output;
  for (const std::string& n : names) {
    EXPECT_EQ(netns.find(n), std::string::npos) << n << " in " << netns;
    EXPECT_EQ(links.find(n), std::string::npos) << n << " in " << links;
    EXPECT_FALSE(fs::exists("/etc/netns/" + n)) << n;
  }
  EXPECT_FALSE(fs::exists(shared));
}

TEST(NetnsClusterTest, SweepRemovesWhatADeadTestProcessLeft) {
  SKIP_WITHOUT_NAMESPACES();
  const pid_t dead = ::fork();  // a pid that no longer runs
  if (dead == 0) std::_Exit(0);
  ::waitpid(dead, nullptr, 0);
  const std::string ns = "amc" + std::to_string(dead) + "n1", link = "amc" + std::to_string(dead) + "b";
  const std::string dir = "/var/tmp/amnl-cluster-" + std::to_string(dead) + "-left";
  ASSERT_EQ(run_command({"ip", "netns", "add", ns}).exit_code, 0);
  ASSERT_EQ(run_command({"ip", "link", "add", link, "type", "bridge"}).exit_code, 0);
  fs::create_directories("/etc/netns/" + ns);
  fs::create_directories(dir);
  TempDir logs;
  Spawned orphan({"ip", "netns", "exec", ns, "sleep", "300"}, logs / "sleep.log");
  ASSERT_TRUE(wait_until([&] { return run_command({"ip", "netns", "pids", ns}).output.size() > 1; }, 10));

  const auto removed = sweep_dead_clusters();
  EXPECT_EQ(orphan.wait(5), -SIGKILL);
  EXPECT_EQ(run_command({"ip", "netns", "list"}).output.find(ns), std::string::npos);
  EXPECT_EQ(run_command({"ip", "-o", "link", "show"}).output.find(link), std::string::npos);
  EXPECT_FALSE(fs::exists("/etc/netns/" + ns));
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_GE(removed.size(), 4u);
}

}  // namespace
}  // namespace amnl::test
