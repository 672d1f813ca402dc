// The HTTP server with real sockets on 127.0.0.1: routes, errors (400, 404, 405, 431, 500, 503),
// idle connections closed, keep-alive; and LiveStatus's routes over a hand-fed model.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>

#include "orchestrator/status/http_server.h"
#include "orchestrator/rundir/ledger.h"
#include "orchestrator/status/status_server.h"
#include "support/test_support.h"

namespace amnl::orch {
namespace {

using nlohmann::json;

// A plain client socket; reads give up after 20 s so a broken server fails the test, not hangs it.
class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may close early (431): what it answered is still readable
      off += static_cast<size_t>(n);
    }
  }
  // Everything until the server closes; `timed_out` says the server never closed.
  std::string read_all(bool* timed_out = nullptr) {
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) { out.append(buf, static_cast<size_t>(n)); continue; }
      if (timed_out) *timed_out = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      return out;
    }
  }
  // One response on a kept-alive connection (headers, then Content-Length bytes).
  std::string read_response() {
    std::string out;
    char c;
    while (out.find("\r\n\r\n") == std::string::npos && ::recv(fd_, &c, 1, 0) == 1) out += c;
    const auto pos = out.find("Content-Length: ");
    size_t len = pos == std::string::npos ? 0 : std::stoul(out.substr(pos + 16));
    std::string body(len, '\0');
    size_t got = 0;
    while (got < len) {
      const ssize_t n = ::recv(fd_, body.data() + got, len - got, 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    return out + body.substr(0, got);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::string get(int port, const std::string& path) {
  Client c(port);
  c.send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  return c.read_all();
}

int status_code(const std::string& response) {
  return response.size() >= 12 && response.compare(0, 5, "HTTP/") == 0 ? std::stoi(response.substr(9, 3)) : -1;
}

std::string body_of(const std::string& response) {
  const auto p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions o = {}) {
    auto s = HttpServer::start(o, [this](const std::string& path) -> HttpReply {
      ++requests_;
      if (path == "/hello") return {200, "text/plain", "hello\n"};
      if (path == "/throw") throw std::runtime_error("boom");
      return {404, "text/plain", "not found\n"};
    });
    ASSERT_TRUE(s.ok()) << s.message();
    server_ = std::move(*s);
    ASSERT_GT(server_->port(), 0);
  }
  std::atomic<int> requests_{0};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesRoutesAnd404) {
  start();
  EXPECT_EQ(server_->url(), "http://127.0.0.1:" + std::to_string(server_->port()) + "/");
  const std::string ok = get(server_->port(), "/hello?x=1");
  EXPECT_EQ(status_code(ok), 200) << ok;
  EXPECT_EQ(body_of(ok), "hello\n");
  EXPECT_NE(ok.find("Cache-Control: no-store"), std::string::npos) << ok;
  EXPECT_EQ(status_code(get(server_->port(), "/nothing")), 404);
}

TEST_F(HttpServerTest, MalformedRequestsGet400AndTheServerGoesOn) {
  start();
  for (const std::string& garbage : {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15),
                                    std::string("GET\r\n\r\n"), std::string("GET / HTTP/9.Z\r\n\r\n"),
                                    std::string("GET / HTTP/1.1\r\nNo colon here\r\n\r\n")}) {
    Client c(server_->port());
    c.send(garbage);
    const std::string r = c.read_all();
    EXPECT_EQ(status_code(r), 400) << r;
  }
  EXPECT_EQ(requests_.load(), 0);  // none reached the handler
  EXPECT_EQ(status_code(get(server_->port(), "/hello")), 200);
}

TEST_F(HttpServerTest, HugeHeaderGets431) {
  start();
  Client c(server_->port());
  c.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
  const std::string r = c.read_all();
  EXPECT_EQ(status_code(r), 431) << r.substr(0, 200);
  EXPECT_EQ(requests_.load(), 0);
}

TEST_F(HttpServerTest, OtherMethodsGet405HeadGetsHeadersOnly) {
  start();
  Client post(server_->port());
  post.send("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
  const std::string r = post.read_all();
  EXPECT_EQ(status_code(r), 405) << r;
  EXPECT_NE(r.find("Allow: GET, HEAD"), std::string::npos) << r;
  Client head(server_->port());
  head.send("HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string h = head.read_all();
  EXPECT_EQ(status_code(h), 200) << h;
  EXPECT_NE(h.find("Content-Length: 6"), std::string::npos) << h;
  EXPECT_EQ(body_of(h), "");
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndTheServerGoesOn) {
  start();
  EXPECT_EQ(status_code(get(server_->port(), "/throw")), 500);
  EXPECT_EQ(status_code(get(server_->port(), "/hello")), 200);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  Client c(server_->port());
  for (int i = 0; i < 3; ++i) {
    c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string r = c.read_response();
    EXPECT_EQ(status_code(r), 200) << r;
    EXPECT_EQ(body_of(r), "hello\n");
  }
}

TEST_F(HttpServerTest, IdleAndHalfSentRequestsAreClosed) {
  HttpServerOptions o;
  o.idle_timeout_s = 0.3;
  start(o);
  Client idle(server_->port());
  bool timed_out = true;
  EXPECT_EQ(idle.read_all(&timed_out), "");
  EXPECT_FALSE(timed_out) << "the server kept an idle connection open";
  Client half(server_->port());
  half.send("GET /hello HTTP/1.1\r\nHost: x\r\n");  // never finishes its headers
  timed_out = true;
  half.read_all(&timed_out);
  EXPECT_FALSE(timed_out) << "the server kept a stalled request open";
  EXPECT_EQ(status_code(get(server_->port(), "/hello")), 200);
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitGet503) {
  HttpServerOptions o;
  o.max_connections = 2;
  start(o);
  Client a(server_->port()), b(server_->port());
  // Make sure both are being served (accepted) before the third arrives.
  a.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  b.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_code(a.read_response()), 200);
  EXPECT_EQ(status_code(b.read_response()), 200);
  Client c(server_->port());
  const std::string r = c.read_all();
  EXPECT_EQ(status_code(r), 503) << r;
}

TEST(HttpServerStart, BadAddressAndBusyPortAreErrorsNamingThem) {
  HttpServerOptions bad;
  bad.address = "localhost:80";
  auto s = HttpServer::start(bad, [](const std::string&) { return HttpReply{}; });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("localhost:80"), std::string::npos) << s.message();
  auto first = HttpServer::start({}, [](const std::string&) { return HttpReply{}; });
  ASSERT_TRUE(first.ok()) << first.message();
  HttpServerOptions same;
  same.port = (*first)->port();
  auto second = HttpServer::start(same, [](const std::string&) { return HttpReply{}; });
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.message().find(std::to_string(same.port)), std::string::npos) << second.message();
}

// --- LiveStatus over sockets ----------------------------------------------------------------

TEST(LiveStatusTest, ServesTheFedRecordsAsJsonMetricsAndPage) {
  test::TempDir dir;
  auto storage = make_posix_storage();
  const std::vector<json> earlier = {
      {{"event", "session_started"}, {"session", "old"}, {"ranks", 2}, {"time", "2024-05-01T11:00:00.000Z"}},
      {{"event", "done"}, {"job", "A-s2"}, {"attempt", 1}, {"rank", 1}, {"epochs_run", 3}, {"seconds", 9.0},
       {"time", "2024-05-01T11:00:10.000Z"}}};
  LiveStatus live(dir.path(), storage, {"A-s1", "A-s2", "B\"x-s1"}, earlier);
  HttpServerOptions o;
  ASSERT_TRUE(live.serve(o).ok());
  EXPECT_EQ(test::read_file(dir / "status_url"), live.url() + "\n");
  live.on_record({{"event", "session_started"}, {"session", "new"}, {"ranks", 3}});
  live.on_record({{"event", "assigned"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 2}});
  live.on_record({{"event", "progress"}, {"job", "A-s1"}, {"attempt", 1}, {"rank", 2}, {"epoch", 1},
                  {"max_epochs", 3}, {"val_rmse", 30.0}, {"best_val_rmse", 30.0}, {"epoch_seconds", 0.5}});
  std::map<int, WorkerStatus> workers;
  workers[2].last_heard = 99.5;
  live.observe_workers(workers, 100.0);
  const int port = std::stoi(live.url().substr(live.url().rfind(':') + 1));

  const std::string js = get(port, "/status.json");
  ASSERT_EQ(status_code(js), 200) << js;
  EXPECT_NE(js.find("Content-Type: application/json"), std::string::npos);
  const json doc = json::parse(body_of(js));
  EXPECT_EQ(doc["session"]["id"], "new");
  EXPECT_EQ(doc["totals"]["done"], 1);
  EXPECT_EQ(doc["totals"]["running"], 1);
  EXPECT_EQ(doc["jobs"].size(), 3u);
  for (const json& r : doc["ranks"])
    if (r["rank"] == 2) {
      EXPECT_GE(r["heartbeat_age_s"].get<double>(), 0.5);
    }
  // The same document `amnl status --json` would print, but for the clock.
  json from_routes = doc, direct = live.status_json();
  for (json* d : {&from_routes, &direct}) {
    d->erase("now");
    d->erase("elapsed_s");
    d->erase("eta_s");
    for (json& j : (*d)["jobs"]) j.erase("elapsed_s"), j.erase("eta_s");
    for (json& r : (*d)["ranks"]) r.erase("heartbeat_age_s");
  }
  EXPECT_EQ(from_routes, direct);

  const std::string metrics = body_of(get(port, "/metrics"));
  EXPECT_NE(metrics.find("# TYPE amnl_jobs gauge"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("amnl_jobs{state=\"done\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("amnl_epochs_completed_total 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("amnl_worker_heartbeat_age_seconds{rank=\"2\""), std::string::npos) << metrics;

  const std::string page = get(port, "/");
  EXPECT_EQ(status_code(page), 200);
  EXPECT_NE(page.find("text/html"), std::string::npos);
  EXPECT_NE(page.find("<table"), std::string::npos);
  EXPECT_EQ(page.find("src=\"http"), std::string::npos);  // self-contained
  EXPECT_EQ(status_code(get(port, "/favicon.ico")), 404);
}

TEST(LiveStatusTest, StopsAndRemovesItsUrlFile) {
  test::TempDir dir;
  int port = 0;
  {
    LiveStatus live(dir.path(), make_posix_storage(), {"A-s1"}, {});
    ASSERT_TRUE(live.serve({}).ok());
    port = std::stoi(live.url().substr(live.url().rfind(':') + 1));
    EXPECT_EQ(status_code(get(port, "/status.json")), 200);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "status_url"));
  Client after(port);
  EXPECT_FALSE(after.connected());
}

}  // namespace
}  // namespace amnl::orch
