#include "oci/delegate.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet::oci {

namespace fs = std::filesystem;

std::string delegate_runtime() {
  if (const char* configured = std::getenv("WASMLET_OCI_DELEGATE"); configured && *configured) return configured;
  std::error_code ec;
  fs::path self = fs::canonical("/proc/self/exe", ec);
  const char* path_env = std::getenv("PATH");
  std::string search = path_env && *path_env ? path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const char* name : {"runc", "crun"}) {
    std::stringstream dirs(search);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
      if (::access(candidate.c_str(), X_OK) != 0) continue;
      // Installed as /usr/local/bin/runc itself, we must not call ourselves.
      if (fs::canonical(candidate, ec) == self) continue;
      return candidate.string();
    }
  }
  throw Error("this is not a wasm container and no runc or crun was found in PATH to run it "
              "(install runc, or set WASMLET_OCI_DELEGATE to the runtime's path)");
}

void exec_delegate(const std::vector<std::string>& args) {
  std::string runtime = delegate_runtime();
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(runtime.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(runtime.c_str(), argv.data());
  throw Error(fmt::format("cannot run the delegate runtime {}: {}", runtime, std::strerror(errno)));
}

}  // namespace wasmlet::oci
