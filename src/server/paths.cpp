#include "paths.h"

#include <cstdlib>

namespace wasmlet::server {

std::filesystem::path resolve_socket(const std::string& flag, const std::filesystem::path& data_dir) {
  if (!flag.empty()) return std::filesystem::absolute(flag);
  if (const char* v = std::getenv("WASMLET_SOCKET"); v && *v) return std::filesystem::absolute(v);
  return data_dir / "wasmlet.sock";
}

}  // namespace wasmlet::server
