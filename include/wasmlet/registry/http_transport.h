// HTTP over libcurl with retries (exponential backoff on connection errors
// and 5xx answers) and optional streaming of 2xx bodies.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace wasmlet::registry {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent for PUT/POST/PATCH
  // When set, 2xx response bodies go here instead of HttpResponse::body.
  // Return false to abort the transfer.
  std::function<bool(const char*, std::size_t)> sink;
  // Called before every attempt (lets a sink start over on a retry).
  std::function<void()> on_attempt;
  // Download progress: bytes so far, total (0 if unknown).
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  bool follow_redirects = true;
  // The most bytes of a body kept in HttpResponse::body (not a sink's): a
  // registry that sends more, or never stops, ends the transfer with an
  // error instead of filling memory.
  std::uint64_t max_body_bytes = 16u << 20;
  // The size of the body a sink receives (a blob's descriptor size), which
  // sets the attempt's deadline (TransferDeadline) as max_body_bytes does otherwise.
  std::uint64_t expected_bytes = 0;
};

struct HttpResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& lower_name) const;  // first value or ""
};

struct RetryPolicy {
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{100};
};

// A wall-clock limit on each attempt, scaled to the most it may carry: the
// low-speed check alone (1 byte in 60 s) let a server sending 2 bytes a
// second hold a pull, and the image store's writers lock, for hours.
struct TransferDeadline {
  std::chrono::milliseconds base{60000};              // for the exchange itself
  std::uint64_t slowest_bytes_per_second = 32u << 10;  // plus the body (sent and received) at this rate
  std::chrono::milliseconds for_bytes(std::uint64_t bytes) const;
};

class HttpTransport {
 public:
  // `cancel`, when given, ends every transfer under way (within about a
  // second: libcurl asks its progress callback at least that often, even
  // while nothing arrives) and refuses new ones once it is true: the daemon's
  // shutdown must not wait on a registry that never answers.
  explicit HttpTransport(RetryPolicy retry = {}, TransferDeadline deadline = {}, const std::atomic<bool>* cancel = nullptr);
  // Throws RegistryError (naming the URL) when every attempt failed to connect
  // or the transfer was cancelled; returns the last response otherwise (also
  // for a final 5xx).
  HttpResponse perform(const HttpRequest& request) const;
  const RetryPolicy& retry_policy() const { return retry_; }

 private:
  bool cancelled() const { return cancel_ && cancel_->load(); }
  RetryPolicy retry_;
  TransferDeadline deadline_;
  const std::atomic<bool>* cancel_;
};

}  // namespace wasmlet::registry
