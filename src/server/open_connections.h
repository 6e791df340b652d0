// The daemon's shutdown and the connections its HTTP servers still hold.
// httplib waits for a request on an idle connection up to its keep-alive
// timeout (5 s), and for the rest of a half-sent one up to the read timeout
// (30 s), and a write to a client that reads nothing up to the write timeout
// (30 s, each write), and its stop() joins those threads: an idle or a stuck
// client would hold the daemon's exit that long.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace wasmlet::server {

// Shuts down both directions of every connection this process accepted on
// the Unix socket `unix_socket` or on 127.0.0.1:`tcp_port`: a wait for a
// request ends at once (end of file), and so does a write blocked on a
// client that reads nothing (the write fails). Nothing more goes out on them:
// httplib's writes take a connection whose reading side is shut for a client
// gone, so even shutting only the reading side would cut an answer being
// written. Call it once the servers stopped accepting and the answers under
// way have gone out (or were given up on).
void shut_down_connections(const std::filesystem::path& unix_socket, std::optional<uint16_t> tcp_port);

}  // namespace wasmlet::server
