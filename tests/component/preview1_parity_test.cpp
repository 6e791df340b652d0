// The same C programs as a preview1 module and as a jco command component
// must print the same stdout/stderr, leave the same files and exit with the
// same status. One difference is the adapter's, not wasmlet's: jco's preview1
// adapter turns proc_exit(n) into wasi:cli/exit(ok) for 0 and (err) for any
// other n, so a component's status is 0 or 1 (wasmtime reports the same).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "component_fixtures.h"
#include "guest_runner.h"
#include "loopback.h"
#include "wasmlet/component/component.h"

using namespace wasmlet;
namespace fs = std::filesystem;

namespace {

struct Result {
  int status = -1;
  std::string out, err;
};

Result as_module(const std::string& name, WasiConfig config) {
  auto run = wasmlet::testing::run_guest(name, std::move(config));
  return {run.outcome.status(), run.out, run.err};
}

// Returns nullopt (and the reason) when the component was not built.
std::optional<Result> as_component(const std::string& name, WasiConfig config, std::string& skip) {
  auto path = component_test::component_path(name);
  if (!fs::exists(path)) {
    skip = path.string() + " was not built (jco missing: npm ci)";
    return std::nullopt;
  }
  Engine engine;
  auto c = component::CompiledComponent::from_file(engine, path);
  Store store(engine);
  Result r;
  if (config.args.empty()) config.args.push_back(name);
  config.output = [&r](OutputStream s, std::span<const uint8_t> b) {
    (s == OutputStream::Stdout ? r.out : r.err).append(b.begin(), b.end());
  };
  component::WasiHost host(std::move(config));
  r.status = component::run_component(store, c, host).status();
  return r;
}

// Runs both halves; `reset` prepares the files before each, `check` looks
// at what each left behind. The test is reported SKIPPED (after the
// preview1 half has been checked) only when jco was missing at build time.
void expect_parity(const std::string& name, const std::function<WasiConfig()>& config, int expected_status,
                   std::optional<std::string> expected_out = std::nullopt, const std::function<void()>& reset = [] {},
                   const std::function<void(const char*)>& check = [](const char*) {}) {
  reset();
  Result p1 = as_module(name, config());
  EXPECT_EQ(p1.status, expected_status) << name << " as a preview1 module: " << p1.out << p1.err;
  if (expected_out) EXPECT_EQ(p1.out, *expected_out) << name << " as a preview1 module";
  check("preview1");
  reset();
  std::string skip;
  auto p2 = as_component(name, config(), skip);
  if (!p2) GTEST_SKIP() << "preview1 half checked; component half skipped: " << skip;
  EXPECT_EQ(p2->status, p1.status == 0 ? 0 : 1) << name << " (the adapter maps every nonzero exit code to 1)";
  EXPECT_EQ(p2->out, p1.out) << name;
  EXPECT_EQ(p2->err, p1.err) << name;
  check("component");
}

}  // namespace

TEST(Preview1Parity, Hello) {
  expect_parity("hello_stdio", [] { return WasiConfig{}; }, 0, "hello from wasm\n");
}

TEST(Preview1Parity, ExitCodes) {
  expect_parity("exit_code", [] { return WasiConfig{{"exit_code", "42"}, {}, {}, {}, {}, {}}; }, 42);
}

TEST(Preview1Parity, ArgsAndEnv) {
  expect_parity("rt_env_args", [] { return WasiConfig{{"rt_env_args", "x", "two words"}, {"A=1", "B=b c"}, {}, {}, {}, {}}; }, 7);
}

TEST(Preview1Parity, FilesReadOnlyAndEscapes) {
  component_test::TempDir dir;
  fs::create_directories(dir.path / "data");
  fs::create_directories(dir.path / "ro");
  auto reset = [&] {
    fs::remove(dir.path / "data" / "out.txt");
    std::ofstream(dir.path / "ro" / "in.txt") << "read-only line\n";
  };
  auto config = [&] {
    WasiConfig c;
    c.preopens = {{dir.path / "data", "/data", false}, {dir.path / "ro", "/ro", true}};
    return c;
  };
  auto check = [&](const char* half) {
    EXPECT_FALSE(fs::exists(dir.path / "ro" / "new.txt")) << half;
    std::ifstream in(dir.path / "data" / "out.txt");
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "written line") << half;
  };
  expect_parity("p2_files", config, 0,
            "read back: written line\n"
            "ro: read-only line\n"
            "open /ro/in.txt a: refused\n"
            "open /ro/new.txt w: refused\n"
            "open /data/../ro/in.txt r: refused\n"
            "open /data/../../etc/passwd r: refused\n"
            "open /etc/passwd r: refused\n"
            "open /data/missing.txt r: no entry\n",
            reset, check);
}

TEST(Preview1Parity, ClocksAndRandom) {
  expect_parity("p2_clock_random", [] { return WasiConfig{}; }, 0,
                "monotonic advances: yes\nwall clock after 2020: yes\nrandom differs: yes\n");
}

TEST(Preview1Parity, TcpEchoOnAPreopenedListener) {
  // As a preview1 module, tcp_echo_once accepts on fd 3 and echoes. jco's
  // preview1 adapter implements sock_accept/sock_recv/sock_send as
  // `unreachable`, so the same program as a component traps in the adapter
  // (wasmtime behaves the same); wasi:sockets itself is served by the host
  // (WasiHost.* tests). If jco's adapter ever implements them, this test
  // fails and must become a parity check.
  uint16_t port = 0;
  WasiConfig module_config;
  module_config.args = {"tcp_echo_once"};
  module_config.listeners = {wasmlet::testing::listen_loopback(port)};
  std::string echoed;
  std::thread client([&] {
    int fd = wasmlet::testing::connect_loopback(port);
    const std::string message = "ping over tcp";
    ASSERT_EQ(::write(fd, message.data(), message.size()), ssize_t(message.size()));
    ::shutdown(fd, SHUT_WR);
    char buf[64];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) echoed.append(buf, size_t(n));
    ::close(fd);
  });
  Result p1 = as_module("tcp_echo_once", module_config);
  client.join();
  EXPECT_EQ(p1.status, 0) << p1.err;
  EXPECT_EQ(p1.out, "echoed\n");
  EXPECT_EQ(echoed, "ping over tcp");

  auto path = component_test::component_path("tcp_echo_once");
  if (!fs::exists(path)) GTEST_SKIP() << path << " was not built (jco missing: npm ci)";
  Engine engine;
  auto c = component::CompiledComponent::from_file(engine, path);
  Store store(engine);
  WasiConfig config;
  config.args = {"tcp_echo_once"};
  uint16_t unused = 0;
  config.listeners = {wasmlet::testing::listen_loopback(unused)};
  config.output = [](OutputStream, std::span<const uint8_t>) {};
  component::WasiHost host(std::move(config));
  Outcome o = component::run_component(store, c, host);
  ASSERT_TRUE(o.trapped()) << "status " << o.status();
  EXPECT_EQ(o.trap.kind, TrapKind::Unreachable) << o.trap.to_string();
}
