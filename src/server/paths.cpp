#include "paths.h"

#include <cstdlib>

namespace wasmlet::server {

std::filesystem::path resolve_data_dir(const std::string& flag) {
  if (!flag.empty()) return std::filesystem::absolute(flag);
  if (const char* v = std::getenv("WASMLET_DATA_DIR"); v && *v) return std::filesystem::absolute(v);
  if (const char* v = std::getenv("XDG_DATA_HOME"); v && *v) return std::filesystem::path(v) / "wasmlet";
  if (const char* v = std::getenv("HOME"); v && *v) return std::filesystem::path(v) / ".local/share/wasmlet";
  return std::filesystem::absolute(".wasmlet");
}

std::filesystem::path resolve_socket(const std::string& flag, const std::filesystem::path& data_dir) {
  if (!flag.empty()) return std::filesystem::absolute(flag);
  if (const char* v = std::getenv("WASMLET_SOCKET"); v && *v) return std::filesystem::absolute(v);
  return data_dir / "wasmlet.sock";
}

}  // namespace wasmlet::server
