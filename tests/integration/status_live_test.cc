// `amnl status` and the coordinator's status server on a live run (real mpirun, the slowed fake
// trainer): /status.json and `amnl status --json` agree with the ledger, /metrics passes
// promtool, a malformed request gets 400 without disturbing the run, headless Chromium renders
// the page, and the run's results equal those of a run without the server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "integration/orch_helpers.h"

namespace amnl::test {
namespace {

using nlohmann::json;

bool have(const std::string& tool) { return run_command({"sh", "-c", "command -v " + tool}).exit_code == 0; }

std::string curl(const std::string& url) {
  auto r = run_command({"curl", "-s", "-S", "--max-time", "20", url});
  return r.exit_code == 0 ? r.output : "";
}

// Sends raw bytes, returns everything the server answers before it closes.
std::string raw_request(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// Every job in a status document is consistent with the ledger read after it: a done job has
// its done record, a running one its assigned record (same attempt and rank), and no job is
// further along than its progress records.
void expect_agrees_with_ledger(const json& doc, const std::string& run_dir, const std::string& source) {
  const std::vector<json> ledger = read_ledger(run_dir);
  std::map<std::string, int> max_epoch;
  for (const json& r : ledger)
    if (r.value("event", "") == "progress")
      max_epoch[r["job"]] = std::max(max_epoch[r["job"]], r.value("epoch", 0));
  ASSERT_EQ(doc["jobs"].size(), 4u) << source << ": " << doc.dump();
  for (const json& j : doc["jobs"]) {
    const std::string id = j["job"];
    SCOPED_TRACE(source + " " + id);
    const std::string state = j["state"];
    if (state == "done") {
      EXPECT_EQ(ledger_events(run_dir, "done", id).size(), 1u);
    } else if (state == "running") {
      bool found = false;
      for (const json& a : ledger_events(run_dir, "assigned", id))
        found |= a["attempt"] == j["attempt"] && a["rank"] == j["rank"];
      EXPECT_TRUE(found) << j.dump();
    } else {
      EXPECT_EQ(state, "queued") << j.dump();
    }
    EXPECT_LE(j["epoch"].get<int>(), max_epoch[id]) << j.dump();
  }
}

TEST(StatusLiveTest, StatusCommandServerMetricsAndPageOnALiveRun) {
  for (const char* tool : {"curl", "promtool", "chromium"})
    if (!have(tool)) GTEST_SKIP() << tool << " is not installed: this test needs curl, promtool and chromium";
  TempDir dir;
  make_orch_data(dir / "data");
  const json patch{{"status", {{"port", -1}}}, {"recipe", {{"max_epochs", 8}}}};
  const std::string exp = write_orch_experiment(dir, {"A", "B"}, {1, 2}, patch);
  const std::string run_dir = dir / "run";
  MpiRun run(exp, true, dir / "mpirun.log", 3, {"--fake-trainer", "0.6"});

  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(run_dir + "/status_url"); }, 60))
      << "no status_url\n" << run.output();
  std::string url = read_file(run_dir + "/status_url");
  url.erase(url.find_last_not_of("\n") + 1);
  ASSERT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  // mpirun forwards the ranks' output on its own schedule: wait for the line, do not race it.
  EXPECT_TRUE(wait_until([&] { return run.output().find(url) != std::string::npos; }, 30))
      << "the URL is logged\n" << run.output();

  // Wait until training is under way, so that there is something to compare.
  json live;
  ASSERT_TRUE(wait_until([&] {
    live = json::parse(curl(url + "status.json"), nullptr, false);
    return live.is_object() && live["totals"]["epochs_completed"].get<int>() >= 2;
  }, 60)) << run.output();
  EXPECT_EQ(live["state"], "running");
  EXPECT_EQ(live["run_dir"], run_dir);
  expect_agrees_with_ledger(live, run_dir, "/status.json");

  auto cli = run_command({amnl_binary(), "status", "--json", run_dir});
  ASSERT_EQ(cli.exit_code, 0) << cli.output;
  const json from_cli = json::parse(cli.output, nullptr, false);
  ASSERT_TRUE(from_cli.is_object()) << cli.output;
  EXPECT_EQ(from_cli["session"]["id"], live["session"]["id"]);
  expect_agrees_with_ledger(from_cli, run_dir, "amnl status --json");
  auto table = run_command({amnl_binary(), "status", run_dir});
  EXPECT_EQ(table.exit_code, 0) << table.output;
  for (const char* id : {"A-s1", "A-s2", "B-s1", "B-s2"}) EXPECT_NE(table.output.find(id), std::string::npos) << table.output;

  // /metrics in the Prometheus text format, checked by Prometheus's own linter.
  const std::string metrics = curl(url + "metrics");
  write_file(dir / "metrics.txt", metrics);
  auto promtool = run_command({"sh", "-c", "promtool check metrics < " + dir / "metrics.txt"});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.output << "\n" << metrics;
  EXPECT_NE(metrics.find("amnl_workers{state=\"alive\"} 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("amnl_workers_excluded 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("amnl_worker_heartbeat_age_seconds{rank=\"1\""), std::string::npos) << metrics;

  // Garbage gets a 400, a huge header a 431, an unknown path a 404; the run is not disturbed.
  EXPECT_EQ(raw_request(port, std::string("\x01\x02 nonsense\r\n\r\n", 14)).substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(raw_request(port, "GET / HTTP/1.1\r\nX: " + std::string(100000, 'x') + "\r\n\r\n").substr(0, 12),
            "HTTP/1.1 431");
  EXPECT_EQ(raw_request(port, "GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n").substr(0, 12), "HTTP/1.1 404");

  // The page in a real browser: renders the table, no console errors, a non-blank screenshot.
  const std::string profile = dir / "chromium-profile";
  auto dom = run_command({"sh", "-c", "timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir=" +
                                          profile + " --virtual-time-budget=3000 --dump-dom " + url + " 2>/dev/null"});
  EXPECT_EQ(dom.exit_code, 0) << dom.output;
  EXPECT_NE(dom.output.find("<table id=\"jobs\">"), std::string::npos) << dom.output;
  EXPECT_NE(dom.output.find("<td>A-s1</td>"), std::string::npos) << dom.output;  // rows drawn by the script
  EXPECT_NE(dom.output.find("class=\"bar "), std::string::npos) << dom.output;
  EXPECT_NE(dom.output.find(run_dir), std::string::npos) << dom.output;
  const std::string shot = dir / "status.png";
  auto screenshot = run_command({"sh", "-c", "timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir=" +
                                                 profile + " --enable-logging=stderr --v=0 --window-size=1200,800 "
                                                 "--virtual-time-budget=3000 --screenshot=" + shot + " " + url});
  EXPECT_EQ(screenshot.exit_code, 0) << screenshot.output;
  EXPECT_EQ(screenshot.output.find(":CONSOLE("), std::string::npos) << "console messages:\n" << screenshot.output;
  ASSERT_TRUE(std::filesystem::exists(shot)) << screenshot.output;
  if (have("python3")) {
    // Non-blank: the decompressed pixel rows of a blank page hold a handful of byte values.
    auto distinct = run_command({"python3", "-c",
        "import sys,zlib,struct\nd=open(sys.argv[1],'rb').read()\ni=8\nz=b''\n"
        "while i<len(d):\n n=struct.unpack('>I',d[i:i+4])[0]\n t=d[i+4:i+8]\n"
        " z+=d[i+8:i+8+n] if t==b'IDAT' else b''\n i+=12+n\nprint(len(set(zlib.decompress(z))))", shot});
    ASSERT_EQ(distinct.exit_code, 0) << distinct.output;
    EXPECT_GT(std::stoi(distinct.output), 32) << "the screenshot looks blank";
  }
  EXPECT_GT(std::filesystem::file_size(shot), 10000u);
  if (const char* keep = std::getenv("AMNL_KEEP_SCREENSHOT")) std::filesystem::copy_file(shot, keep, std::filesystem::copy_options::overwrite_existing);

  // The run finishes as if nobody had looked.
  ASSERT_EQ(run.wait(240), 0) << run.output();
  const json outcome = read_json(run_dir + "/outcome.json");
  EXPECT_EQ(outcome["outcome"], "complete") << outcome.dump();
  EXPECT_EQ(ledger_events(run_dir, "assigned").size(), 4u);
  EXPECT_FALSE(std::filesystem::exists(run_dir + "/status_url"));
  auto after = run_command({amnl_binary(), "status", "--json", run_dir});
  ASSERT_EQ(after.exit_code, 0) << after.output;
  const json ended = json::parse(after.output);
  EXPECT_EQ(ended["state"], "ended");
  EXPECT_EQ(ended["totals"]["done"], 4);
  EXPECT_EQ(ended["outcome"]["outcome"], "complete");
  expect_agrees_with_ledger(ended, run_dir, "amnl status --json after the end");

  // Same results as a run without the status server (the fake trainer's metrics depend only on
  // dataset, seed and epochs).
  TempDir ref;
  std::filesystem::copy(dir / "data", ref / "data");
  const json no_status{{"recipe", {{"max_epochs", 8}}}};
  ASSERT_EQ(run_orch(write_orch_experiment(ref, {"A", "B"}, {1, 2}, no_status), true, ref / "mpirun.log",
                     {"--fake-trainer", "0"}), 0);
  for (const std::string ds : {"A", "B"})
    for (int seed : {1, 2}) EXPECT_EQ(job_metrics(run_dir, ds, seed), job_metrics(ref / "run", ds, seed)) << ds << seed;
}

TEST(StatusCommandTest, MissingRunDirIsAClearErrorWithExit2) {
  TempDir dir;
  auto r = run_command({amnl_binary(), "status", dir / "nowhere"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(dir / "nowhere"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("does not exist"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace amnl::test
