#pragma once
// Several "nodes" on one machine for the multi-node tests: one network namespace per node on a
// private bridge, each node command run with its own hostname, /tmp and /dev/shm (the recipe of
// ../shared/spec/mpi-slurm.md, "Several nodes on one machine"), mpirun across them over TCP, and
// the faults of a real cluster: a node crash, a partition that heals or not, a stopped rank.
// Needs root; NetnsCluster::unavailable() says why not (the tests then GTEST_SKIP).
//
// Names carry the test process's pid ("amc<pid>n1", veth "amc<pid>v1", bridge "amc<pid>b"), so
// clusters of concurrent test processes never meet; a cluster left by a test process that died
// (SIGKILL, a crash: no destructor ran) is swept by the next one. Everything the nodes share (run
// dir, data, experiment, agent script) lives in a fresh directory under /var/tmp, because each
// node has a private /tmp.
#include <sys/types.h>

#include <string>
#include <vector>

namespace amnl::test {

// A process seen in a node's network namespace.
struct NodeProcess {
  int node = 0;  // 1-based
  pid_t pid = 0;
  std::string comm;  // /proc/PID/comm: "amnl", "orted", "mpirun", ...
};

class NetnsCluster {
 public:
  // "" when clusters can be built here, else why not (not root, `ip netns add` or `unshare`
  // refused). Probed once per process.
  static std::string unavailable();

  // Builds `nodes` nodes (throws std::runtime_error naming the failing command, after undoing
  // what was built). Sweeps leftovers of dead test processes first.
  explicit NetnsCluster(int nodes, int slots_per_node = 4);
  ~NetnsCluster();  // kills every process in the nodes, removes namespaces, links, files
  NetnsCluster(const NetnsCluster&) = delete;
  NetnsCluster& operator=(const NetnsCluster&) = delete;

  int size() const { return nodes_; }
  std::string node(int i) const;  // hostname and namespace name of node i (1-based)
  std::string veth(int i) const;  // the bridge side of node i's link
  std::string address(int i) const;  // node i's IPv4 address
  int node_of_host(const std::string& host) const;  // 0 when not one of ours
  const std::string& shared_dir() const { return shared_; }  // visible from every node
  std::string subnet() const { return net_ + ".0/24"; }
  // A path to `program` that every node can run. Each node mounts its own tmpfs over /tmp and
  // /dev/shm, so a program under either (a build in a clone under /tmp) is copied into the
  // shared dir once; any other path is returned as it is.
  std::string visible_on_nodes(const std::string& program) const;

  // argv that runs `argv` inside node i (own hostname, /tmp, /dev/shm), for Spawned/run_command.
  std::vector<std::string> on_node(int i, const std::vector<std::string>& argv) const;
  // argv of `mpirun --enable-recovery -np NP PROGRAM...` run inside node `order[0]`, ranks mapped
  // round-robin over the nodes of `order` (rank 0 on order[0], rank 1 on order[1], ...), TCP
  // only on the cluster's subnet. An empty `order` means 1..size().
  std::vector<std::string> mpirun_argv(int np, const std::vector<std::string>& program,
                                       std::vector<int> order = {}) const;

  // Faults.
  // SIGKILL every process of node i (its orted and ranks), until none is left. The node's kernel
  // lives on and closes their sockets (peers see FIN/RST at once): a crash of its processes.
  void crash(int i);
  // A node that loses power: partitioned first, then crashed, so no FIN or RST ever leaves it;
  // its peers only hear silence. It stays partitioned (heal() brings back an empty node).
  void power_off(int i);
  void partition(int i);  // node i's link drops every frame, both ways (no carrier change)
  void heal(int i);

  std::vector<NodeProcess> processes(int i) const;  // everything in node i's network namespace
  std::vector<NodeProcess> processes() const;       // on every node
  // "node 2: orted (pid 123), amnl (pid 456)" lines, or "" when nothing is left anywhere.
  std::string describe_processes() const;

 private:
  void run_or_throw(const std::vector<std::string>& argv) const;
  void build(int slots_per_node);
  void write_agent_and_hosts(int slots_per_node);
  void teardown() noexcept;

  int nodes_ = 0;
  std::string prefix_, net_, shared_;
  std::vector<int> built_;  // nodes whose namespace exists
  bool bridge_ = false;
};

// Removes what earlier test processes that died left behind (namespaces, links, /etc/netns
// entries, shared dirs whose pid is no longer a running test_cluster). Returns what it removed.
std::vector<std::string> sweep_dead_clusters();

}  // namespace amnl::test
