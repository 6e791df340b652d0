// Test support: a real docker-registry (distribution 2.8) on 127.0.0.1 with a
// temp storage dir, temp dirs, wasm bytes and tar+gzip layers.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "loopback.h"

#include "temp_dir.h"

extern char** environ;

namespace wasmlet::registry::testing {
namespace fs = std::filesystem;

using ::wasmlet::testing::TempDir;

using wasmlet::testing::free_port;

inline bool port_open(int port) {
  int fd = wasmlet::testing::connect_loopback(static_cast<uint16_t>(port));
  if (fd >= 0) close(fd);
  return fd >= 0;
}

inline void write_text(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out << s;
}

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a command, returns its exit status; stdout+stderr into `output`.
inline int run(const std::string& command, std::string* output = nullptr) {
  std::string cmd = command + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  std::string out;
  while (auto n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// docker-registry serve CONFIG on 127.0.0.1:<free port>; `auth_yaml` is the
// config's "auth:" section (empty for anonymous access).
class RegistryProcess {
 public:
  explicit RegistryProcess(const std::string& auth_yaml = "") {
    port_ = free_port();
    fs::create_directories(dir_.path() / "storage");
    std::string config = "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n"
                         "storage:\n  filesystem:\n    rootdirectory: " + (dir_.path() / "storage").string() +
                         "\n  delete:\n    enabled: true\n"
                         "http:\n  addr: 127.0.0.1:" + std::to_string(port_) + "\n" + auth_yaml;
    write_text(dir_.path() / "config.yml", config);
    std::string log = (dir_.path() / "registry.log").string();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::string cfg = (dir_.path() / "config.yml").string();
    const char* argv[] = {"/usr/bin/docker-registry", "serve", cfg.c_str(), nullptr};
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, const_cast<char**>(argv), environ) != 0)
      throw std::runtime_error("cannot start /usr/bin/docker-registry (apt-get install docker-registry)");
    posix_spawn_file_actions_destroy(&fa);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!port_open(port_)) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("docker-registry did not start: " + read_text(log));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~RegistryProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int st;
      waitpid(pid_, &st, 0);
    }
  }
  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  fs::path storage() const { return dir_.path() / "storage"; }
  fs::path dir() const { return dir_.path(); }
  // Where distribution keeps a blob's bytes.
  fs::path blob_data(const std::string& digest) const {
    std::string hex = digest.substr(7);
    return storage() / "docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
  }

 private:
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A minimal valid core module: header + a type section with () -> ().
inline std::string tiny_module(char marker = 0) {
  std::string m("\0asm\x01\0\0\0", 8);
  m += std::string("\x01\x04\x01\x60\x00\x00", 6);
  if (marker) m += std::string("\x00\x03\x01", 3) + "m" + marker;  // custom section "m" to vary the digest
  return m;
}
// A component header (layer 1) with an empty custom section.
inline std::string tiny_component() { return std::string("\0asm\x0d\0\x01\0", 8) + std::string("\x00\x02\x01x", 4); }

// A ustar archive of (name, content) files.
inline std::string make_tar(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out;
  for (auto& [name, content] : files) {
    char h[512] = {0};
    std::snprintf(h, 100, "%s", name.c_str());
    std::snprintf(h + 100, 8, "%07o", 0644);
    std::snprintf(h + 108, 8, "%07o", 0);
    std::snprintf(h + 116, 8, "%07o", 0);
    std::snprintf(h + 124, 12, "%011lo", static_cast<unsigned long>(content.size()));
    std::snprintf(h + 136, 12, "%011o", 0);
    h[156] = '0';
    std::memcpy(h + 257, "ustar", 6);
    std::memcpy(h + 263, "00", 2);
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h + 148, 8, "%06o", sum);
    out.append(h, 512);
    out += content;
    out.append((512 - content.size() % 512) % 512, '\0');
  }
  out.append(1024, '\0');
  return out;
}

inline std::string gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace wasmlet::registry::testing
