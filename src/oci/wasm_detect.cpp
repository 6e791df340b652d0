#include "oci/wasm_detect.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include <fmt/format.h>

#include "wasmlet/error.h"

#include "wasi_sys/path_resolver.h"

namespace wasmlet::oci {

namespace {

constexpr uint8_t kWasmMagic[4] = {0x00, 'a', 's', 'm'};
// Modules are read whole; a bigger "module" is refused rather than exhaust the host.
constexpr off_t kMaxModuleBytes = off_t{1} << 30;

// A regular file of at most kMaxModuleBytes that starts with the magic.
bool is_wasm(int fd) {
  struct stat st{};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 8 || st.st_size > kMaxModuleBytes) return false;
  uint8_t head[4];
  return pread(fd, head, 4, 0) == 4 && std::equal(head, head + 4, kWasmMagic);
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
    if (is_wasm(fd.get())) found = WasmEntry{path, std::move(fd)};
    break;  // as execvp: the first file found is the program
  }
  ::close(root_fd);
  return found;
}

std::vector<uint8_t> read_module(const WasmEntry& entry) {
  // The file may have changed since it was found: checked again.
  if (!is_wasm(entry.file.get()))
    throw Error(fmt::format("{}: no longer a wasm module of at most {} bytes", entry.guest_path, kMaxModuleBytes));
  struct stat st{};
  ::fstat(entry.file.get(), &st);
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pread(entry.file.get(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw Error(fmt::format("{}: cannot read the module: {}", entry.guest_path,
                              n < 0 ? std::strerror(errno) : "it became shorter while read"));
    done += static_cast<size_t>(n);
  }
  return bytes;
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
