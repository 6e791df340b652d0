// `wasmlet serve`: the daemon. An HTTP/JSON API (docs/api.md) over a Unix
// socket (mode 0600) and, optionally, over 127.0.0.1:PORT where every request
// must carry `Authorization: Bearer TOKEN`. One daemon per data dir (a lock file).
#pragma once

#include "wasmlet/engine.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace wasmlet::server {

struct ServerOptions {
  std::filesystem::path data_dir;
  std::filesystem::path socket;
  std::optional<uint16_t> tcp_port;  // 127.0.0.1 only
  std::string token;                 // required when tcp_port is set
  Tier tier = Tier::Auto;            // how instances run (WasmRuntimeConfig::tier)
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  // Binds (throws Error naming the socket or port), restores the recorded
  // instances, serves until stop() or SIGTERM/SIGINT (when handle_signals).
  void run(bool handle_signals);
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wasmlet::server
