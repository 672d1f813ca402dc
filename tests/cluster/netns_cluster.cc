#include "cluster/netns_cluster.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/test_support.h"

namespace amnl::test {

namespace fs = std::filesystem;

namespace {

// Every cluster's names start with this, then the owner's pid.
constexpr const char* kPrefix = "amc";

// The shell that makes a node of a namespace: its own hostname, /tmp and /dev/shm (two "nodes"
// sharing one hostname or one /dev/shm make Open MPI segfault).
std::string node_shell(const std::string& node) {
  return "hostname " + node + " && mount -t tmpfs tmpfs /tmp && mount -t tmpfs tmpfs /dev/shm";
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::vector<pid_t> netns_pids(const std::string& ns) {
  std::vector<pid_t> out;
  const auto r = run_command({"ip", "netns", "pids", ns});
  if (r.exit_code != 0) return out;
  std::istringstream in(r.output);
  for (pid_t p; in >> p;) out.push_back(p);
  return out;
}

// SIGKILL until the namespace is empty: a dying orted may still fork, a stopped process is
// killed as well.
void kill_all_in(const std::string& ns) {
  for (int round = 0; round < 40; ++round) {
    const auto pids = netns_pids(ns);
    if (pids.empty()) return;
    for (pid_t p : pids) ::kill(p, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// A test process that owns clusters is running (not a recycled pid of something else).
bool owner_alive(pid_t pid) {
  if (pid == ::getpid()) return true;
  if (::kill(pid, 0) != 0) return false;
  return trim(read_file("/proc/" + std::to_string(pid) + "/comm")).rfind("test_cluster", 0) == 0;
}

// The owner's pid of one of our names ("amc1234n2" -> 1234), or -1.
pid_t owner_of(const std::string& name) {
  if (name.rfind(kPrefix, 0) != 0) return -1;
  size_t i = std::string(kPrefix).size(), j = i;
  while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
  if (j == i || j == name.size() || std::string("nvb").find(name[j]) == std::string::npos) return -1;
  return static_cast<pid_t>(std::stol(name.substr(i, j - i)));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Our links in the root namespace: bridges and the bridge sides of veths.
std::vector<std::string> root_links() {
  std::vector<std::string> out;
  for (const std::string& l : lines_of(run_command({"ip", "-o", "link", "show"}).output)) {
    // "12: amc77v1@if2: <...>" -> "amc77v1"
    const auto colon = l.find(": ");
    if (colon == std::string::npos) continue;
    std::string name = l.substr(colon + 2);
    name = name.substr(0, name.find_first_of(":@"));
    if (owner_of(name) > 0) out.push_back(name);
  }
  return out;
}

std::string make_shared_dir() {
  std::string pattern = "/var/tmp/amnl-cluster-" + std::to_string(::getpid()) + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  ::chmod(buf.data(), 0755);
  return buf.data();
}

}  // namespace

std::vector<std::string> sweep_dead_clusters() {
  std::vector<std::string> removed;
  for (const std::string& l : lines_of(run_command({"ip", "netns", "list"}).output)) {
    const std::string ns = l.substr(0, l.find(' '));
    const pid_t owner = owner_of(ns);
    if (owner <= 0 || owner_alive(owner)) continue;
    kill_all_in(ns);
    run_command({"ip", "netns", "del", ns});
    removed.push_back("netns " + ns);
  }
  for (const std::string& link : root_links()) {
    if (owner_alive(owner_of(link))) continue;
    run_command({"ip", "link", "del", link});
    removed.push_back("link " + link);
  }
  std::error_code ec;
  for (const auto& dir : {fs::path("/etc/netns"), fs::path("/var/tmp")}) {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      const std::string cluster_dir = "amnl-cluster-";
      pid_t owner = owner_of(name);
      if (name.rfind(cluster_dir, 0) == 0) owner = std::atoi(name.c_str() + cluster_dir.size());
      if (owner <= 0 || owner_alive(owner)) continue;
      fs::remove_all(e.path(), ec);
      removed.push_back(e.path().string());
    }
  }
  return removed;
}

std::string NetnsCluster::unavailable() {
  static const std::string why = [] {
    if (::geteuid() != 0) return std::string("namespace nodes need root (ip netns add, unshare)");
    const std::string probe = std::string(kPrefix) + std::to_string(::getpid()) + "n0";
    auto add = run_command({"ip", "netns", "add", probe});
    if (add.exit_code != 0) return "`ip netns add` refused here: " + trim(add.output);
    auto sh = run_command({"ip", "netns", "exec", probe, "unshare", "--uts", "--mount", "--propagation", "private",
                           "sh", "-c", node_shell(probe) + " && echo ok"});
    run_command({"ip", "netns", "del", probe});
    if (sh.exit_code != 0 || sh.output.find("ok") == std::string::npos)
      return "`unshare --uts --mount` (or a tmpfs mount) refused inside a namespace: " + trim(sh.output);
    return std::string();
  }();
  return why;
}

NetnsCluster::NetnsCluster(int nodes, int slots_per_node)
    : nodes_(nodes), prefix_(std::string(kPrefix) + std::to_string(::getpid())) {
  if (nodes < 1 || nodes > 9) throw std::invalid_argument("NetnsCluster: 1..9 nodes");
  sweep_dead_clusters();
  // A /24 of its own: there is no address in the root namespace, so only the nodes route it;
  // the pid keeps clusters of concurrent test processes on different subnets anyway.
  net_ = "10.234." + std::to_string(::getpid() % 250 + 1);
  try {
    shared_ = make_shared_dir();
    build(slots_per_node);
  } catch (...) {
    teardown();
    throw;
  }
}

NetnsCluster::~NetnsCluster() { teardown(); }

std::string NetnsCluster::node(int i) const { return prefix_ + "n" + std::to_string(i); }
std::string NetnsCluster::veth(int i) const { return prefix_ + "v" + std::to_string(i); }

std::string NetnsCluster::address(int i) const { return net_ + "." + std::to_string(i); }

int NetnsCluster::node_of_host(const std::string& host) const {
  for (int i = 1; i <= nodes_; ++i)
    if (host == node(i)) return i;
  return 0;
}

void NetnsCluster::run_or_throw(const std::vector<std::string>& argv) const {
  const auto r = run_command(argv);
  if (r.exit_code == 0) return;
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  throw std::runtime_error("cluster setup: `" + cmd + "` failed (exit " + std::to_string(r.exit_code) + "): " + r.output);
}

void NetnsCluster::build(int slots_per_node) {
  const std::string br = prefix_ + "b";
  run_or_throw({"ip", "link", "add", br, "type", "bridge"});
  bridge_ = true;
  run_or_throw({"ip", "link", "set", br, "up"});
  for (int i = 1; i <= nodes_; ++i) {
    const std::string ns = node(i), addr = address(i) + "/24";
    run_or_throw({"ip", "netns", "add", ns});
    built_.push_back(i);
    run_or_throw({"ip", "link", "add", veth(i), "type", "veth", "peer", "name", "eth0", "netns", ns});
    run_or_throw({"ip", "link", "set", veth(i), "master", br, "up"});
    run_or_throw({"ip", "-n", ns, "addr", "add", addr, "dev", "eth0"});
    run_or_throw({"ip", "-n", ns, "link", "set", "eth0", "up"});
    run_or_throw({"ip", "-n", ns, "link", "set", "lo", "up"});
  }
  write_agent_and_hosts(slots_per_node);
}

void NetnsCluster::write_agent_and_hosts(int slots_per_node) {
  std::string hosts = "127.0.0.1 localhost\n", hostfile;
  for (int i = 1; i <= nodes_; ++i) {
    hosts += address(i) + " " + node(i) + "\n";
    hostfile += node(i) + " slots=" + std::to_string(slots_per_node) + "\n";
  }
  for (int i = 1; i <= nodes_; ++i) {
    const std::string dir = "/etc/netns/" + node(i);  // `ip netns exec` binds it over /etc/hosts
    fs::create_directories(dir);
    write_file(dir + "/hosts", hosts);
  }
  write_file(shared_ + "/hostfile", hostfile);
  // mpirun's rsh agent: called like ssh (`agent HOST words...`), runs the words on that node.
  const std::string agent = shared_ + "/agent.sh";
  write_file(agent,
             "#!/bin/sh\n"
             "# mpirun's plm_rsh_agent: `agent.sh NODE words...` runs the words on namespace node NODE\n"
             "h=$1; shift\n"
             "exec ip netns exec \"$h\" unshare --uts --mount --propagation private sh -c "
             "\"hostname $h && mount -t tmpfs tmpfs /tmp && mount -t tmpfs tmpfs /dev/shm && exec $*\"\n");
  ::chmod(agent.c_str(), 0755);
}

std::string NetnsCluster::visible_on_nodes(const std::string& program) const {
  const fs::path path = fs::absolute(program).lexically_normal();
  const std::string first = path.begin() == path.end() ? "" : std::next(path.begin())->string();
  if (first != "tmp" && !(first == "dev" && path.string().rfind("/dev/shm/", 0) == 0)) return path.string();
  const fs::path copy = fs::path(shared_) / "bin" / path.filename();
  if (!fs::exists(copy)) {
    fs::create_directories(copy.parent_path());
    fs::copy_file(path, copy);  // keeps the permission bits
  }
  return copy.string();
}

std::vector<std::string> NetnsCluster::on_node(int i, const std::vector<std::string>& argv) const {
  std::vector<std::string> out{"ip",        "netns", "exec", node(i), "unshare", "--uts", "--mount", "--propagation",
                               "private",   "sh",    "-c",   node_shell(node(i)) + " && exec \"$@\"",
                               "node-shell"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::vector<std::string> NetnsCluster::mpirun_argv(int np, const std::vector<std::string>& program,
                                                   std::vector<int> order) const {
  if (order.empty())
    for (int i = 1; i <= nodes_; ++i) order.push_back(i);
  std::string hostfile;
  for (int i : order) hostfile += node(i) + " slots=" + std::to_string(np) + "\n";
  std::string name = shared_ + "/hostfile";
  for (int i : order) name += "-" + std::to_string(i);
  write_file(name, hostfile);
  std::vector<std::string> argv{"mpirun", "--allow-run-as-root", "--enable-recovery", "--hostfile", name,
                                "--map-by", "node", "-np", std::to_string(np), "--bind-to", "none"};
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"plm_rsh_agent", shared_ + "/agent.sh"},
           {"plm_rsh_no_tree_spawn", "1"},
           {"routed", "direct"},
           {"pml", "ob1"},
           {"btl", "tcp,self"},
           {"btl_tcp_if_include", subnet()},
           {"oob_tcp_if_include", subnet()}}) {
    argv.insert(argv.end(), {"--mca", key, value});
  }
  argv.insert(argv.end(), program.begin(), program.end());
  return on_node(order[0], argv);
}

void NetnsCluster::crash(int i) { kill_all_in(node(i)); }

void NetnsCluster::power_off(int i) {
  partition(i);
  crash(i);
}

void NetnsCluster::partition(int i) { run_or_throw({"bridge", "link", "set", "dev", veth(i), "state", "0"}); }

void NetnsCluster::heal(int i) { run_or_throw({"bridge", "link", "set", "dev", veth(i), "state", "3"}); }

std::vector<NodeProcess> NetnsCluster::processes(int i) const {
  std::vector<NodeProcess> out;
  for (pid_t p : netns_pids(node(i))) {
    const std::string comm = trim(read_file("/proc/" + std::to_string(p) + "/comm"));
    if (!comm.empty()) out.push_back({i, p, comm});  // empty: it exited meanwhile
  }
  return out;
}

std::vector<NodeProcess> NetnsCluster::processes() const {
  std::vector<NodeProcess> out;
  for (int i = 1; i <= nodes_; ++i) {
    auto on = processes(i);
    out.insert(out.end(), on.begin(), on.end());
  }
  return out;
}

std::string NetnsCluster::describe_processes() const {
  std::string out;
  for (int i = 1; i <= nodes_; ++i) {
    std::string line;
    for (const NodeProcess& p : processes(i))
      line += (line.empty() ? "" : ", ") + p.comm + " (pid " + std::to_string(p.pid) + ")";
    if (!line.empty()) out += "node " + std::to_string(i) + ": " + line + "\n";
  }
  return out;
}

void NetnsCluster::teardown() noexcept {
  try {
    for (int i : built_) kill_all_in(node(i));
    for (int i : built_) {
      run_command({"ip", "link", "del", veth(i)});  // also removes its peer inside the namespace
      run_command({"ip", "netns", "del", node(i)});
      std::error_code ec;
      fs::remove_all("/etc/netns/" + node(i), ec);
    }
    built_.clear();
    if (bridge_) run_command({"ip", "link", "del", prefix_ + "b"});
    bridge_ = false;
    std::error_code ec;
    if (!shared_.empty() && !std::getenv("AMNL_KEEP_TEST_DIRS")) fs::remove_all(shared_, ec);
  } catch (...) {
    // A destructor must not throw; what is left is swept by the next test process.
  }
}

}  // namespace amnl::test
