#include "health_check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace wasmlet::runtime {

namespace {

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Connects with a deadline; returns the fd or -1 with `why` set.
int connect_to(const std::string& host, uint16_t port, std::chrono::steady_clock::time_point deadline, std::string& why) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    if (host == "localhost") {
      inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    } else {
      why = fmt::format("health checks reach 127.0.0.1 or an IPv4 address, not '{}'", host);
      return -1;
    }
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    why = std::strerror(errno);
    return -1;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 && errno != EINPROGRESS) {
    why = fmt::format("connect to {}:{}: {}", host, port, std::strerror(errno));
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, remaining_ms(deadline)) <= 0) {
    why = fmt::format("connect to {}:{}: timed out", host, port);
    ::close(fd);
    return -1;
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    why = fmt::format("connect to {}:{}: {}", host, port, std::strerror(err));
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

ProbeResult probe_tcp(const std::string& host, uint16_t port, std::chrono::nanoseconds timeout) {
  std::string why;
  int fd = connect_to(host, port, std::chrono::steady_clock::now() + timeout, why);
  if (fd < 0) return {false, why};
  ::close(fd);
  return {true, fmt::format("connected to {}:{}", host, port)};
}

ProbeResult probe_http(const std::string& url, uint16_t expect_status, std::chrono::nanoseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash), path = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = hostport.rfind(':');
  std::string host = hostport.substr(0, colon);
  uint16_t port = 80;
  if (colon != std::string::npos) port = static_cast<uint16_t>(std::atoi(hostport.c_str() + colon + 1));
  std::string why;
  int fd = connect_to(host, port, deadline, why);
  if (fd < 0) return {false, why};
  std::string req = fmt::format("GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: wasmlet-health\r\nConnection: close\r\n\r\n", path, hostport);
  size_t sent = 0;
  while (sent < req.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) break;
    ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string resp;
  while (resp.find("\r\n") == std::string::npos && resp.size() < 4096) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) break;
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  auto eol = resp.find("\r\n");
  if (eol == std::string::npos) return {false, fmt::format("GET {}: no HTTP response", url)};
  std::string status_line = resp.substr(0, eol);
  int status = 0;
  if (std::sscanf(status_line.c_str(), "HTTP/%*d.%*d %d", &status) != 1)
    return {false, fmt::format("GET {}: not an HTTP response: {}", url, status_line)};
  if (status != expect_status) return {false, fmt::format("GET {}: {} (expected {})", url, status_line, expect_status)};
  return {true, status_line};
}

HealthMonitor::HealthMonitor(HealthSpec spec, uint16_t default_port, std::function<void(const HealthDetail&)> update)
    : spec_(std::move(spec)), default_port_(default_port), update_(std::move(update)) {
  thread_ = std::thread([this] { run(); });
}

HealthMonitor::~HealthMonitor() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::run() {
  HealthDetail detail;
  detail.status = "starting";
  update_(detail);
  std::unique_lock lock(mu_);
  // A timed wait on the monitor's own stop flag: probes are periodic by nature.
  if (cv_.wait_for(lock, spec_.start_grace, [&] { return stop_; })) return;
  for (;;) {
    lock.unlock();
    ProbeResult r = spec_.type == HealthSpec::Type::Tcp
                        ? probe_tcp("127.0.0.1", spec_.port ? spec_.port : default_port_, spec_.timeout)
                        : probe_http(spec_.url, spec_.expect_status, spec_.timeout);
    if (r.ok) {
      detail.status = "healthy";
      detail.failing_streak = 0;
    } else {
      ++detail.failing_streak;
      detail.last_output = r.output;
      if (detail.failing_streak >= std::max<uint32_t>(spec_.retries, 1)) detail.status = "unhealthy";
    }
    update_(detail);
    lock.lock();
    if (cv_.wait_for(lock, spec_.interval, [&] { return stop_; })) return;
  }
}

}  // namespace wasmlet::runtime
