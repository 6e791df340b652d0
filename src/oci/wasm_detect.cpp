#include "oci/wasm_detect.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "wasi_sys/path_resolver.h"

namespace wasmlet::oci {

namespace {

constexpr uint8_t kWasmMagic[4] = {0x00, 'a', 's', 'm'};
// Modules are read whole; a bigger "module" is refused rather than exhaust the host.
constexpr off_t kMaxModuleBytes = off_t{1} << 30;

std::optional<std::vector<uint8_t>> read_if_wasm(int fd) {
  struct stat st{};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 8 || st.st_size > kMaxModuleBytes) return std::nullopt;
  uint8_t head[4];
  if (pread(fd, head, 4, 0) != 4 || !std::equal(head, head + 4, kWasmMagic)) return std::nullopt;
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n <= 0) return std::nullopt;
    done += static_cast<size_t>(n);
  }
  return bytes;
}

std::vector<std::string> candidates(const BundleConfig& config) {
  const std::string& arg0 = config.args.front();
  if (arg0.find('/') != std::string::npos) {
    if (arg0.front() == '/') return {arg0};
    return {(std::filesystem::path(config.cwd) / arg0).lexically_normal().string()};
  }
  std::string path_var = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : config.env)
    if (e.rfind("PATH=", 0) == 0) path_var = e.substr(5);
  std::vector<std::string> out;
  std::stringstream dirs(path_var);
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty()) out.push_back((std::filesystem::path(dir) / arg0).string());
  return out;
}

}  // namespace

std::optional<WasmEntry> find_wasm_entry(const BundleConfig& config) {
  int root_fd = ::open(config.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return std::nullopt;
  std::optional<WasmEntry> found;
  for (const std::string& path : candidates(config)) {
    // As if the rootfs were "/": "..", absolute symlinks and the like stay inside it.
    wasi_sys::UniqueFd fd;
    // Non-blocking: opening a FIFO for reading would wait for a writer (for
    // ever); no controlling terminal from a tty node.
    if (wasi_sys::open_in_root(root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, fd) != 0) continue;
    auto bytes = read_if_wasm(fd.get());
    if (bytes) found = WasmEntry{path, std::move(*bytes)};
    break;  // as execvp: the first file found is the program
  }
  ::close(root_fd);
  return found;
}

bool annotated_as_wasm(const BundleConfig& config) {
  auto is = [&](const char* key, const char* value) {
    auto it = config.annotations.find(key);
    return it != config.annotations.end() && it->second == value;
  };
  return is("module.wasm.image/variant", "compat") || is("module.wasm.image/variant", "compat-smart") ||
         is("run.oci.handler", "wasm");
}

}  // namespace wasmlet::oci
