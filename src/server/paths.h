// Where the daemon keeps its data and socket:
//   data dir: --data-dir, else $WASMLET_DATA_DIR, else $XDG_DATA_HOME/wasmlet, else ~/.local/share/wasmlet
//   socket:   --socket, else $WASMLET_SOCKET, else DATA_DIR/wasmlet.sock
#pragma once

#include <filesystem>
#include <string>

namespace wasmlet::server {

std::filesystem::path resolve_data_dir(const std::string& flag);
std::filesystem::path resolve_socket(const std::string& flag, const std::filesystem::path& data_dir);

}  // namespace wasmlet::server
