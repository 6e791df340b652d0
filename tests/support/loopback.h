// Loopback TCP sockets for tests: a listener on a port the kernel picks, a
// port nobody listens on right now, and a client connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <thread>

namespace wasmlet::testing {

inline sockaddr_in loopback_address(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// A listening socket on 127.0.0.1:<kernel-chosen port>; sets `port`. -1 on failure.
inline int listen_loopback(uint16_t& port, int backlog = 8) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = loopback_address(0);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, backlog) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(addr.sin_port);
  return fd;
}

// A port on 127.0.0.1 nobody listens on right now (for servers that must be told a port).
inline uint16_t free_port() {
  uint16_t port = 0;
  int fd = listen_loopback(port);
  if (fd >= 0) ::close(fd);
  return port;
}

// A connected socket to 127.0.0.1:port; -1 if nothing accepts there.
inline int connect_loopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = loopback_address(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// connect_loopback, retried every 10 ms while nothing accepts yet (a guest
// that creates its own listener may still be starting); -1 after `within`.
inline int connect_loopback_when_listening(uint16_t port, std::chrono::milliseconds within = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    int fd = connect_loopback(port);
    if (fd >= 0 || std::chrono::steady_clock::now() >= deadline) return fd;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace wasmlet::testing
