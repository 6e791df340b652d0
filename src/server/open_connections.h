// The daemon's shutdown and the connections its HTTP servers still hold.
// httplib waits for a request on an idle connection up to its keep-alive
// timeout (5 s), and for the rest of a half-sent one up to the read timeout
// (30 s), and its stop() joins those threads: an idle client would hold the
// daemon's exit that long.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace wasmlet::server {

// Shuts the reading side of every connection this process accepted on the
// Unix socket `unix_socket` or on 127.0.0.1:`tcp_port`: a wait for a request
// ends at once (end of file), while an answer being written still goes out.
// Call it once the servers stopped accepting.
void stop_reading_connections(const std::filesystem::path& unix_socket, std::optional<uint16_t> tcp_port);

}  // namespace wasmlet::server
