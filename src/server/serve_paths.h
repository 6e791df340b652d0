// The paths `wasmlet serve` makes its own before it serves: the data dir
// and the socket. Each refusal names the path, says what is wrong with it
// and what to do instead.
#pragma once

#include <filesystem>

namespace wasmlet::server {

// Creates the data dir (owner-only) where it is missing; throws Error when
// it, or one of its parents, is a file.
void prepare_data_dir(const std::filesystem::path& data_dir);

// Makes way for the daemon's socket at `path`: nothing there, or a stale
// socket (one nothing accepts on, left by a daemon that was killed), which is
// removed. Anything else is not ours to remove: a live daemon's socket (say,
// of another data dir), a directory or a file that is not a socket.
void claim_socket_path(const std::filesystem::path& path);

}  // namespace wasmlet::server
