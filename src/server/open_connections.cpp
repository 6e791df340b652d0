#include "open_connections.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstring>
#include <string>

namespace wasmlet::server {

namespace {

// Whether fd is a connection accepted on one of the daemon's sockets.
bool accepted_on(int fd, const std::string& unix_path, std::optional<uint16_t> tcp_port) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  int listening = 0;
  socklen_t len = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening) return false;
  sockaddr_storage addr{};
  len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return false;
  if (addr.ss_family == AF_UNIX) {
    // An accepted Unix socket has the listener's name; a client's has none.
    const auto* un = reinterpret_cast<const sockaddr_un*>(&addr);
    size_t path_len = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    std::string path(un->sun_path, strnlen(un->sun_path, path_len));
    return !path.empty() && path == unix_path;
  }
  if (addr.ss_family == AF_INET && tcp_port) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    return ntohs(in->sin_port) == *tcp_port && in->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
  }
  return false;
}

}  // namespace

void shut_down_connections(const std::filesystem::path& unix_socket, std::optional<uint16_t> tcp_port) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    if (accepted_on(fd, unix_socket.string(), tcp_port)) ::shutdown(fd, SHUT_RDWR);
  }
}

}  // namespace wasmlet::server
