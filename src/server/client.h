// The CLI's side of the daemon API: JSON requests over the Unix socket.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "wasmlet/error.h"

namespace wasmlet::server {

// The daemon is not running (or not reachable) at the socket.
class DaemonUnavailable : public Error {
 public:
  explicit DaemonUnavailable(const std::string& message) : Error(message, ErrorCode::Unavailable) {}
};

class Client {
 public:
  explicit Client(std::filesystem::path socket);

  // Sends a request; returns the JSON body. A non-2xx answer throws
  // runtime::RuntimeError with the daemon's kind and message where the kind
  // is a RuntimeError kind, else wasmlet::Error with the code the kind (or
  // the HTTP status) names.
  nlohmann::json request(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);
  // A request whose answer is a stream of JSON lines; `on_line` returns false to stop.
  void stream(const std::string& method, const std::string& path, const nlohmann::json& body,
              const std::function<bool(const nlohmann::json&)>& on_line);

  const std::filesystem::path& socket() const { return socket_; }

 private:
  std::filesystem::path socket_;
};

// "/v1/instances/" + url-encoded id and so on.
std::string url_encode(const std::string& text);

}  // namespace wasmlet::server
