// Where the daemon listens: --socket, else $WASMLET_SOCKET, else
// DATA_DIR/wasmlet.sock (the data dir: wasmlet/data_dir.h).
#pragma once

#include <filesystem>
#include <string>

namespace wasmlet::server {

std::filesystem::path resolve_socket(const std::string& flag, const std::filesystem::path& data_dir);

}  // namespace wasmlet::server
