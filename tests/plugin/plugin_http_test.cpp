// wasmlet.http_request against a real server on the loopback: what reaches
// the server, limits and interrupts during a request, allowed hosts.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "plugin/http_client.h"
#include "plugin_support.h"
#include "process.h"

using namespace wasmlet;
using namespace wasmlet::testing;
using json = nlohmann::json;

namespace {

// An HTTP server on the loopback (IPv4 or IPv6) answering "hello" to every
// request, after `delay`; it records the bytes of each request's head.
class LoopbackServer {
 public:
  explicit LoopbackServer(int family = AF_INET, std::chrono::milliseconds delay = {}) : delay_(delay) {
    fd_ = ::socket(family, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    sockaddr_storage a{};
    socklen_t len;
    if (family == AF_INET6) {
      auto* a6 = reinterpret_cast<sockaddr_in6*>(&a);
      a6->sin6_family = AF_INET6;
      a6->sin6_addr = in6addr_loopback;
      len = sizeof(sockaddr_in6);
    } else {
      auto* a4 = reinterpret_cast<sockaddr_in*>(&a);
      a4->sin_family = AF_INET;
      a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(sockaddr_in);
    }
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 8) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port
                                     : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (fd_ >= 0) {
      ::shutdown(fd_, SHUT_RDWR);
      ::close(fd_);
    }
    if (thread_.joinable()) thread_.join();
  }
  bool ok() const { return fd_ >= 0; }
  int port() const { return port_; }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      timeval tv{2, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        head.append(buf, static_cast<size_t>(n));
      }
      std::unique_lock lock(mu_);
      requests_.push_back(head);
      cv_.wait_for(lock, delay_, [this] { return stop_; });
      lock.unlock();
      const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
      (void)::send(c, reply, sizeof reply - 1, MSG_NOSIGNAL);  // the client may have gone
      ::close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::chrono::milliseconds delay_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<std::string> requests_;
};

std::shared_ptr<const Plugin> load_networked(PluginHost& host, PluginOptions o = {}) {
  o.capabilities.network = true;
  return host.load_file(plugin_wasm("plugin_hostile"), o);
}

}  // namespace

TEST(PluginHttp, MethodMustBeAToken) {
  for (const char* m : {"GET", "POST", "PROPFIND", "M-SEARCH", "x!#$%&'*+-.^_`|~9"})
    EXPECT_TRUE(plugin::http_method_valid(m)) << m;
  for (const char* m : {"", "GET /x HTTP/1.1\r\nHost: a\r\n\r\nGET", "GET\r\n", "GE T", "GET\t", "G\"T", "G:T", "G(T)", "GÉT"})
    EXPECT_FALSE(plugin::http_method_valid(m)) << m;
  EXPECT_TRUE(plugin::http_method_valid(std::string(plugin::kMaxHttpMethod, 'A')));
  EXPECT_FALSE(plugin::http_method_valid(std::string(plugin::kMaxHttpMethod + 1, 'A')));
  EXPECT_FALSE(plugin::http_method_valid(std::string("GET\0X", 5)));
}

// A method that would end the request line and start another request (to
// another virtual host) is a bad request: nothing of it reaches the server.
TEST(PluginHttp, AMethodSmugglingARequestNeverReachesTheServer) {
  LoopbackServer server;
  ASSERT_TRUE(server.ok());
  PluginHost host;
  auto p = load_networked(host);
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/x";
  const std::string smuggling = "GET /smuggled HTTP/1.1\r\nHost: internal.example\r\nX-Ignore:";
  auto e = expect_plugin_error([&] { p->call("http", json{{"url", url}, {"method", smuggling}}); });
  EXPECT_EQ(e.kind(), PluginError::Kind::Failed) << e.what();
  EXPECT_NE(std::string(e.what()).find("http_request: method 'GET /smuggled HTTP/1.1"),
            std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("is not an HTTP token"), std::string::npos) << e.what();
  // The server works, and saw only the well-formed request.
  json resp = p->call("http", json{{"url", url}, {"method", "GET"}});
  EXPECT_EQ(resp["body"], "hello");
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].starts_with("GET /x HTTP/1.1\r\n")) << seen[0];
  EXPECT_EQ(seen[0].find("smuggled"), std::string::npos) << seen[0];
}

// PluginLimits::timeout 0 is no limit: a request is not cut short either
// (it was given a timeout of 1 ms).
TEST(PluginHttp, NoTimeoutMeansNoLimitForARequest) {
  LoopbackServer server(AF_INET, std::chrono::milliseconds(50));
  ASSERT_TRUE(server.ok());
  PluginHost host;
  PluginOptions o;
  o.limits.timeout = std::chrono::nanoseconds(0);
  auto p = load_networked(host, o);
  json resp = p->call("http", json{{"url", "http://127.0.0.1:" + std::to_string(server.port()) + "/slow"}});
  EXPECT_EQ(resp["status"], 200);
  EXPECT_EQ(resp["body"], "hello");
}

// A request to a server that does not answer ends with the call's time.
TEST(PluginHttp, ARequestEndsWithTheCallsTimeout) {
  LoopbackServer server(AF_INET, std::chrono::seconds(20));
  ASSERT_TRUE(server.ok());
  PluginHost host;
  PluginOptions o;
  o.limits.timeout = std::chrono::milliseconds(300);
  auto p = load_networked(host, o);
  auto start = std::chrono::steady_clock::now();
  auto e = expect_plugin_error([&] { p->call("http", json{{"url", "http://127.0.0.1:" + std::to_string(server.port()) + "/"}}); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3)) << e.what();
}

// Plugin::interrupt_all() ends a call waiting for a slow server at once.
TEST(PluginHttp, InterruptAllEndsARequestInProgress) {
  LoopbackServer server(AF_INET, std::chrono::seconds(20));
  ASSERT_TRUE(server.ok());
  PluginHost host;
  PluginOptions o;
  o.limits.timeout = std::chrono::seconds(60);
  auto p = load_networked(host, o);
  std::thread stopper([&] {
    // Once the request has reached the server.
    for (int i = 0; i < 500 && server.requests().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    p->interrupt_all();
  });
  auto start = std::chrono::steady_clock::now();
  auto e = expect_plugin_error([&] { p->call("http", json{{"url", "http://127.0.0.1:" + std::to_string(server.port()) + "/"}}); });
  auto took = std::chrono::steady_clock::now() - start;
  stopper.join();
  EXPECT_EQ(e.kind(), PluginError::Kind::Trap) << e.what();
  EXPECT_NE(std::string(e.what()).find("interrupted"), std::string::npos) << e.what();
  EXPECT_LT(took, std::chrono::seconds(2)) << e.what();
}

TEST(PluginHttp, AllowedHostsMatchIpv6AddressesWithOrWithoutBrackets) {
  using plugin::http_host_allowed;
  // curl gives an IPv6 host in brackets.
  EXPECT_TRUE(http_host_allowed({"[::1]"}, "[::1]", "8080"));
  EXPECT_TRUE(http_host_allowed({"::1"}, "[::1]", "8080"));  // CLI11 leaves "::1" of "[::1]"
  EXPECT_TRUE(http_host_allowed({"[::1]:8080"}, "[::1]", "8080"));
  EXPECT_FALSE(http_host_allowed({"[::1]:8081"}, "[::1]", "8080"));
  EXPECT_TRUE(http_host_allowed({"[0:0::1]"}, "[::1]", "80"));       // the same address
  EXPECT_TRUE(http_host_allowed({"[FE80::A]:80"}, "[fe80::a]", "80"));
  EXPECT_FALSE(http_host_allowed({"[::2]"}, "[::1]", "80"));
  EXPECT_FALSE(http_host_allowed({"[::1]8080", "[::1]:", "[::1"}, "[::1]", "8080"));
  // Names and IPv4 addresses, with and without a port.
  EXPECT_TRUE(http_host_allowed({"api.example.com"}, "api.example.com", "443"));
  EXPECT_TRUE(http_host_allowed({"API.Example.com:443"}, "api.example.com", "443"));
  EXPECT_FALSE(http_host_allowed({"api.example.com:80"}, "api.example.com", "443"));
  EXPECT_FALSE(http_host_allowed({"example.com"}, "api.example.com", "443"));
  EXPECT_TRUE(http_host_allowed({"x", "127.0.0.1:9"}, "127.0.0.1", "9"));
  EXPECT_FALSE(http_host_allowed({"127.0.0.1:8"}, "127.0.0.1", "9"));
  EXPECT_FALSE(http_host_allowed({}, "127.0.0.1", "9"));
}

// "[::1]:PORT" and "[::1]" allow a server on the IPv6 loopback, in the API
// and through `wasmlet plugin call --allow-host`.
TEST(PluginHttp, AnIpv6AllowedHostReachesTheServer) {
  LoopbackServer server(AF_INET6);
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback here (cannot listen on [::1])";
  const std::string port = std::to_string(server.port());
  const std::string url = "http://[::1]:" + port + "/v6";
  for (const std::string& allowed : std::vector<std::string>{"[::1]:" + port, "[::1]", "::1"}) {
    PluginHost host;
    PluginOptions o;
    o.capabilities.allowed_hosts = {allowed};
    auto p = load_networked(host, o);
    json resp;
    EXPECT_NO_THROW(resp = p->call("http", json{{"url", url}})) << allowed;
    EXPECT_EQ(resp["body"], "hello") << allowed;
  }
  for (const std::string& allowed : std::vector<std::string>{"[::1]:" + port, "[::1]"}) {
    auto r = run_process({WASMLET_BIN, "plugin", "call", plugin_wasm("plugin_hostile").string(), "http", "--allow-host",
                          allowed, "--input", json{{"url", url}}.dump()});
    EXPECT_EQ(r.exit_code, 0) << allowed << ": " << r.err;
    EXPECT_NE(r.out.find("hello"), std::string::npos) << allowed << ": " << r.out;
  }
  // Another port is still refused.
  PluginHost host;
  PluginOptions o;
  o.capabilities.allowed_hosts = {"[::1]:1"};
  auto p = load_networked(host, o);
  auto e = expect_plugin_error([&] { p->call("http", json{{"url", url}}); });
  EXPECT_EQ(e.kind(), PluginError::Kind::Denied) << e.what();
}
