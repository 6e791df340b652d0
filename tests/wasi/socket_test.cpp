// Listeners passed in WasiConfig::listeners: a TCP echo through sock_accept,
// sock_recv and sock_send, and a blocked accept ended by the call timeout.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "loopback.h"
#include "wasi_test_support.h"

namespace wasmlet::testing {
namespace {

using namespace std::chrono_literals;

// Connects once `ready` exists, sends `message`, closes its sending side and
// returns everything it receives until the guest closes.
std::string echo_client(uint16_t port, const std::filesystem::path& ready, const std::string& message) {
  for (int i = 0; i < 1000 && !std::filesystem::exists(ready); ++i) std::this_thread::sleep_for(10ms);
  int fd = connect_loopback(port);
  if (fd < 0) return "connect failed";
  ::send(fd, message.data(), message.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return got;
}

TEST(WasiSocket, TcpEchoThroughSockAccept) {
  TempDir dir;
  uint16_t port = 0;
  int listener = listen_loopback(port);
  ASSERT_GE(listener, 0);
  WasiConfig config = with_dir(dir.path(), "/data");
  config.listeners.push_back(listener);
  std::string message = "hello over tcp\n";
  for (int i = 0; i < 2000; ++i) message += "line " + std::to_string(i) + "\n";
  std::string received;
  std::thread client([&] { received = echo_client(port, dir / "ready", message); });
  GuestRun run = run_guest("wasi_echo", config);
  client.join();
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string() << run.out;
  EXPECT_EQ(received, message);
  EXPECT_EQ(run.out,
            "fd3 type=6 can_accept=1\n"
            "set nonblock errno=0\n"
            "accept nothing pending errno=6\n"
            "set blocking errno=0\n"
            "recv on listener errno=53\n"
            "poll listener errno=0\n"
            "event userdata=3 type=1\n"
            "accept errno=0\n"
            "conn type=6\n"
            "poll connection errno=0\n"
            "event userdata_is_conn=1 type=1\n"
            "peek errno=0\n"
            "peeked=hello\n"
            "shutdown errno=0\n"
            "shutdown bad errno=28\n"
            "close errno=0\n"
            "echoed " + std::to_string(message.size()) + " bytes\n");
}

// A peek with waitall waits for the bytes asked for and gives them in order
// (it once advanced through the peeked bytes and gave "hellohello"); when
// the peer ends the stream first, it gives what there is.
TEST(WasiSocket, PeekWaitallWaitsForTheBytesInOrder) {
  uint16_t port = 0;
  int listener = listen_loopback(port);
  ASSERT_GE(listener, 0);
  WasiConfig config;
  config.listeners.push_back(listener);
  std::thread client([&] {
    int fd = connect_loopback(port);
    ::send(fd, "hello", 5, MSG_NOSIGNAL);
    std::this_thread::sleep_for(300ms);
    ::send(fd, " world", 6, MSG_NOSIGNAL);
    char buf[16];
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
    }
    ::close(fd);
    fd = connect_loopback(port);
    ::send(fd, "abc", 3, MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
    }
    ::close(fd);
  });
  StoreLimits limits;
  limits.timeout = 10s;
  GuestRun run = run_guest("wasi_peek_waitall", config, limits);
  client.join();
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string() << run.out;
  EXPECT_EQ(run.out,
            "accept errno=0\n"
            "peek waitall errno=0\n"
            "peeked 10=hello worl\n"
            "read waitall errno=0\n"
            "read 10=hello worl\n"
            "accept errno=0\n"
            "peek waitall errno=0\n"
            "peeked 3=abc\n"
            "read waitall errno=0\n"
            "read 3=abc\n");
}

TEST(WasiSocket, CallTimeoutEndsABlockedAccept) {
  uint16_t port = 0;
  int listener = listen_loopback(port);
  ASSERT_GE(listener, 0);
  WasiConfig config;
  config.listeners.push_back(listener);
  StoreLimits limits;
  limits.timeout = 300ms;
  auto t0 = std::chrono::steady_clock::now();
  GuestRun run = run_guest("wasi_accept_forever", config, limits);
  EXPECT_TRUE(run.outcome.trapped());
  EXPECT_EQ(run.out, "accepting\n");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST(WasiSocket, ListenerThatIsNotASocketIsRefused) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[1]);
  WasiConfig config;
  config.listeners.push_back(fds[0]);
  Engine engine;
  Store store(engine);
  EXPECT_THROW(attach_wasi(store, config), UsageError);
}

}  // namespace
}  // namespace wasmlet::testing
