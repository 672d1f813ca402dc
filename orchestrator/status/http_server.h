#pragma once
// A small read-only HTTP/1.1 server (Boost.Beast) on a thread of its own, for the coordinator's
// live status: nothing a client does (a slow reader, garbage, a flood of connections) can delay
// the coordinator's event loop, which only ever shares data with it under a short mutex.
//
// GET and HEAD only (405 otherwise); the path (query string dropped) goes to the handler.
// Malformed requests get 400, headers over max_header_bytes 431, and the connection is closed.
// A connection idle (or stuck mid-request) for idle_timeout_s is closed. At most
// max_connections are served at once; others get 503 and are closed. The handler's exceptions
// become 500 and are logged; the server never throws out of its thread.
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace amnl::orch {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
using HttpHandler = std::function<HttpReply(const std::string& path)>;

struct HttpServerOptions {
  std::string address = "127.0.0.1";  // an IP literal
  int port = 0;                        // 0: any free port (see HttpServer::port)
  double idle_timeout_s = 5;
  int max_connections = 16;
  size_t max_header_bytes = 8 * 1024;
};

class HttpServer {
 public:
  // Binds and starts serving; errors (bad address, port in use) name the address.
  static Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options, HttpHandler handler);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Closes every connection and joins the thread; idempotent.
  void stop();
  int port() const;
  // "http://ADDRESS:PORT/" (IPv6 addresses in brackets).
  std::string url() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace amnl::orch
