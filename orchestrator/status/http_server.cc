#include "orchestrator/status/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

namespace amnl::orch {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// What every connection shares; outlives the server object while handlers are queued.
struct Shared {
  HttpServerOptions options;
  HttpHandler handler;
  std::atomic<int> connections{0};
};

std::chrono::milliseconds millis(double s) { return std::chrono::milliseconds(static_cast<int64_t>(s * 1000)); }

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<Shared> shared, bool over_limit)
      : stream_(std::move(socket)), shared_(std::move(shared)), over_limit_(over_limit) {
    if (!over_limit_) ++shared_->connections;
  }
  ~Connection() {
    if (!over_limit_) --shared_->connections;
  }

  void start() {
    if (over_limit_) return reply_error(http::status::service_unavailable, "too many connections\n", 11);
    read_request();
  }

 private:
  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(64 * 1024);
    stream_.expires_after(millis(shared_->options.idle_timeout_s));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::header_limit)
      return reply_error(http::status::request_header_fields_too_large, "request header fields too large\n", 11);
    if (ec == http::error::body_limit)
      return reply_error(http::status::payload_too_large, "request body too large\n", 11);
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted)
      return close();
    if (ec) return reply_error(http::status::bad_request, "bad request: " + ec.message() + "\n", 11);
    handle(parser_->get());
  }

  void handle(const http::request<http::string_body>& req) {
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      auto res = make_response(http::status::method_not_allowed, "only GET and HEAD\n", "text/plain; charset=utf-8",
                               version, false);
      res->set(http::field::allow, "GET, HEAD");
      return send(std::move(res));
    }
    const std::string target(req.target());
    if (target.empty() || target[0] != '/')
      return reply_error(http::status::bad_request, "bad request target\n", version);
    const std::string path = target.substr(0, target.find('?'));
    HttpReply reply;
    try {
      reply = shared_->handler(path);
    } catch (const std::exception& e) {
      spdlog::error("status server: GET {} failed: {}", path, e.what());
      reply = HttpReply{500, "text/plain; charset=utf-8", "internal error\n"};
    } catch (...) {
      spdlog::error("status server: GET {} failed", path);
      reply = HttpReply{500, "text/plain; charset=utf-8", "internal error\n"};
    }
    auto res = make_response(static_cast<http::status>(reply.status), std::move(reply.body), reply.content_type,
                             version, keep_alive);
    if (req.method() == http::verb::head) {
      const auto length = res->body().size();
      res->body().clear();
      res->content_length(length);
    }
    send(std::move(res));
  }

  static std::shared_ptr<http::response<http::string_body>> make_response(http::status status, std::string body,
                                                                         const std::string& type,
                                                                         unsigned version, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(status, version);
    res->set(http::field::server, "amnl");
    res->set(http::field::content_type, type);
    res->set(http::field::cache_control, "no-store");
    res->keep_alive(keep_alive);
    res->body() = std::move(body);
    res->prepare_payload();
    return res;
  }

  // Errors end the connection: what follows a malformed request cannot be trusted.
  void reply_error(http::status status, std::string body, unsigned version) {
    send(make_response(status, std::move(body), "text/plain; charset=utf-8", version, false));
  }

  void send(std::shared_ptr<http::response<http::string_body>> res) {
    stream_.expires_after(millis(shared_->options.idle_timeout_s));
    const bool close_after = !res->keep_alive();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, close_after](beast::error_code ec, std::size_t) {
                        if (ec || close_after) return self->close();
                        self->read_request();
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Shared> shared_;
  bool over_limit_;
};

}  // namespace

struct HttpServer::Impl {
  net::io_context io;
  tcp::acceptor acceptor{io};
  net::steady_timer retry_timer{io};
  std::shared_ptr<Shared> shared;
  std::thread thread;
  std::string address;
  int port = 0;
  bool stopped = false;

  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (ec) {
        // Out of file descriptors, say: try again shortly rather than spin.
        spdlog::warn("status server: accept failed: {}", ec.message());
        retry_timer.expires_after(std::chrono::milliseconds(200));
        retry_timer.async_wait([this](beast::error_code e) {
          if (!e) accept();
        });
        return;
      }
      const bool over = shared->connections.load() >= shared->options.max_connections;
      std::make_shared<Connection>(std::move(socket), shared, over)->start();
      accept();
    });
  }

  void run() {
    // An exception escaping a handler must not end the thread (nor, by std::terminate, the run).
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("status server: {}", e.what());
      } catch (...) {
        spdlog::error("status server: unknown exception");
      }
    }
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options, HttpHandler handler) {
  using R = Result<std::unique_ptr<HttpServer>>;
  const std::string where = options.address + ":" + std::to_string(options.port);
  if (options.port < 0 || options.port > 65535) return R::Error("status server " + where + ": port out of range");
  beast::error_code ec;
  const auto address = net::ip::make_address(options.address, ec);
  if (ec) return R::Error("status server: address '" + options.address + "' is not an IP address");
  auto impl = std::make_unique<Impl>();
  impl->shared = std::make_shared<Shared>();
  impl->shared->options = options;
  impl->shared->handler = std::move(handler);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return R::Error("status server: cannot listen on " + where + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint(ec).port();
  impl->address = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  impl->accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

int HttpServer::port() const { return impl_->port; }

std::string HttpServer::url() const { return "http://" + impl_->address + ":" + std::to_string(impl_->port) + "/"; }

}  // namespace amnl::orch
