#include "wasmlet/data_dir.h"

#include <cstdlib>

#include "wasmlet/error.h"

namespace wasmlet {

std::filesystem::path resolve_data_dir(const std::string& flag) {
  namespace fs = std::filesystem;
  auto env = [](const char* name) -> const char* {
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
  };
  if (!flag.empty()) return fs::absolute(flag);
  if (const char* v = env("WASMLET_DATA_DIR")) return fs::absolute(v);
  if (const char* v = env("XDG_DATA_HOME")) return fs::absolute(fs::path(v) / "wasmlet");
  if (const char* v = env("HOME")) return fs::absolute(fs::path(v) / ".local/share/wasmlet");
  throw UsageError("no data dir: pass --data-dir or set WASMLET_DATA_DIR, XDG_DATA_HOME or HOME");
}

}  // namespace wasmlet
