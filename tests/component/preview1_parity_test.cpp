// The same C programs as a preview1 module and as WASI 0.2 command
// components must print the same stdout/stderr, leave the same files and
// exit with the same status. Each program is built as two components:
//  - NAME.wasip2.component.wasm: linked with tests/component/wasip2_glue
//    (proc_exit -> wasi:cli/exit.exit-with-code, sock_* -> wasi:sockets), then
//    `jco new --wasi-command`. Everything must match, exit codes included.
//  - NAME.component.wasm: `jco new --wasi-command` alone. jco's preview1
//    adapter turns proc_exit(n) into wasi:cli/exit ok (n = 0) or err (any
//    other n), so its status is 0 or 1 (wasmtime reports the same), and it
//    implements sock_accept/recv/send as `unreachable`.
// The components run in both tiers (Preview1Parity.X/interp, /aot); the
// module is the interpreter's reference.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "component_fixtures.h"
#include "component_tiers.h"
#include "guest_runner.h"
#include "loopback.h"
#include "sandbox_cases.h"
#include "wasi_sys/path_resolver.h"
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
std::optional<Result> as_component(Tier tier, const fs::path& path, WasiConfig config, std::string& skip,
                                   component::WasiHostOptions options = {}) {
  if (!fs::exists(path)) {
    skip = path.string() + " was not built (jco missing: npm ci)";
    return std::nullopt;
  }
  std::vector<std::string> notes;
  Engine engine = component_test::tier_engine(tier, &notes);
  auto c = component::CompiledComponent::from_file(engine, path);
  if (tier == Tier::Aot) EXPECT_TRUE(component_test::all_native(c)) << path << " did not run as native code";
  // A guest left waiting (an echo whose client gave up) ends instead of hanging the test.
  Store store(engine, StoreLimits{.timeout = std::chrono::seconds(120)});
  Result r;
  if (config.args.empty()) config.args.push_back(path.filename().string());
  config.output = [&r](OutputStream s, std::span<const uint8_t> b) {
    (s == OutputStream::Stdout ? r.out : r.err).append(b.begin(), b.end());
  };
  component::WasiHost host(std::move(config), options);
  Outcome o = component::run_component(store, c, host);
  r.status = o.trapped() ? -1 : o.status();
  if (o.trapped()) r.err += "trap: " + o.trap.to_string();
  return r;
}

// Runs the three builds; `reset` prepares the files before each, `check`
// looks at what each left behind. The test is reported SKIPPED (after the
// preview1 half has been checked) only when jco was missing at build time.
void expect_parity(Tier tier, const std::string& name, const std::function<WasiConfig()>& config, int expected_status,
                   std::optional<std::string> expected_out = std::nullopt, const std::function<void()>& reset = [] {},
                   const std::function<void(const char*)>& check = [](const char*) {}) {
  reset();
  Result p1 = as_module(name, config());
  EXPECT_EQ(p1.status, expected_status) << name << " as a preview1 module: " << p1.out << p1.err;
  if (expected_out) EXPECT_EQ(p1.out, *expected_out) << name << " as a preview1 module";
  check("preview1");

  reset();
  std::string skip;
  auto p2 = as_component(tier, component_test::wasip2_component_path(name), config(), skip);
  if (!p2) GTEST_SKIP() << "preview1 half checked; component halves skipped: " << skip;
  EXPECT_EQ(p2->status, p1.status) << name << ".wasip2.component.wasm: " << p2->err;
  EXPECT_EQ(p2->out, p1.out) << name << ".wasip2.component.wasm";
  EXPECT_EQ(p2->err, p1.err) << name << ".wasip2.component.wasm";
  check("wasip2 component");

  reset();
  auto adapted = as_component(tier, component_test::component_path(name), config(), skip);
  ASSERT_TRUE(adapted) << skip;
  EXPECT_EQ(adapted->status, p1.status == 0 ? 0 : 1) << name << ".component.wasm (the adapter maps every nonzero "
                                                             "exit code to 1): " << adapted->err;
  EXPECT_EQ(adapted->out, p1.out) << name << ".component.wasm";
  EXPECT_EQ(adapted->err, p1.err) << name << ".component.wasm";
  check("adapter-only component");
}

// A client for tcp_echo_once: connects (retrying while the guest is still
// starting), sends `message`, shuts down its write side and
// collects the echo.
std::string echo_client(uint16_t port, const std::string& message) {
  int fd = wasmlet::testing::connect_loopback_when_listening(port, std::chrono::seconds(60));  // a cold AOT cache compiles first
  if (fd < 0) return "<nothing accepted on port " + std::to_string(port) + ">";
  if (::write(fd, message.data(), message.size()) != ssize_t(message.size())) return "<write failed>";
  ::shutdown(fd, SHUT_WR);
  std::string echoed;
  char buf[64];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) echoed.append(buf, size_t(n));
  ::close(fd);
  return echoed;
}

// The components' tier is the parameter; the AOT half needs a C compiler.
class Preview1Parity : public ::testing::TestWithParam<Tier> {
 protected:
  void SetUp() override {
    if (GetParam() == Tier::Aot && !component_test::have_cc())
      GTEST_SKIP() << "no C compiler: the AOT tier is not available";
  }
};

}  // namespace

TEST_P(Preview1Parity, Hello) {
  expect_parity(GetParam(), "hello_stdio", [] { return WasiConfig{}; }, 0, "hello from wasm\n");
}

TEST_P(Preview1Parity, ExitCodes) {
  for (const char* code : {"0", "1", "3", "42", "255"})
    expect_parity(GetParam(), "exit_code", [code] { return WasiConfig{{"exit_code", code}, {}, {}, {}, {}, {}}; }, std::atoi(code));
}

TEST_P(Preview1Parity, ArgsAndEnv) {
  expect_parity(GetParam(), "rt_env_args", [] { return WasiConfig{{"rt_env_args", "x", "two words"}, {"A=1", "B=b c"}, {}, {}, {}, {}}; }, 7);
}

TEST_P(Preview1Parity, FilesReadOnlyAndEscapes) {
  component_test::TempDir dir;
  fs::create_directories(dir.path() / "data");
  fs::create_directories(dir.path() / "ro");
  auto reset = [&] {
    fs::remove(dir.path() / "data" / "out.txt");
    std::ofstream(dir.path() / "ro" / "in.txt") << "read-only line\n";
  };
  auto config = [&] {
    WasiConfig c;
    c.preopens = {{dir.path() / "data", "/data", false}, {dir.path() / "ro", "/ro", true}};
    return c;
  };
  auto check = [&](const char* half) {
    EXPECT_FALSE(fs::exists(dir.path() / "ro" / "new.txt")) << half;
    std::ifstream in(dir.path() / "data" / "out.txt");
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "written line") << half;
  };
  expect_parity(GetParam(), "p2_files", config, 0,
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

TEST_P(Preview1Parity, TimesAndLinks) {
  component_test::TempDir dir;
  auto reset = [&] {
    fs::remove_all(dir.path() / "data");
    fs::create_directories(dir.path() / "data");
  };
  auto config = [&] {
    WasiConfig c;
    c.preopens = {{dir.path() / "data", "/data", false}};
    return c;
  };
  auto check = [&](const char* half) {
    struct stat st {};
    ASSERT_EQ(::lstat((dir.path() / "data" / "hard.txt").c_str(), &st), 0) << half;
    EXPECT_EQ(st.st_nlink, 2u) << half;
    EXPECT_EQ(st.st_mtim.tv_sec, 1300000000) << half;
    EXPECT_EQ(fs::read_symlink(dir.path() / "data" / "soft.txt"), "file.txt") << half;
    EXPECT_FALSE(fs::exists(fs::symlink_status(dir.path() / "data" / "abs"))) << half;
    EXPECT_FALSE(fs::exists(dir.path() / "hard.txt")) << half;
  };
  expect_parity(GetParam(), "p2_links", config, 0,
                "utimensat: 0\n"
                "mtime 1234567890.000000500\n"
                "futimens: 0\n"
                "mtime 1300000000.000000000 atime 1000000000\n"
                "link: 0\n"
                "nlink 2\n"
                "symlink: 0\n"
                "readlink: 8 file.txt\n"
                "through the symlink: content\n"
                "absolute symlink: refused\n"
                "link out: refused\n",
                reset, check);
}

TEST_P(Preview1Parity, ClocksAndRandom) {
  expect_parity(GetParam(), "p2_clock_random", [] { return WasiConfig{}; }, 0,
                "monotonic advances: yes\nwall clock after 2020: yes\nrandom differs: yes\n");
}

TEST_P(Preview1Parity, TcpEcho) {
  // As a preview1 module, tcp_echo_once accepts on the listener passed as
  // fd 3. As a WASI 0.2 component it has no preopened sockets: the glue
  // creates that listener through wasi:sockets (tcp-create-socket, bind,
  // listen) at the address in WASIP2_GLUE_TCPLISTEN, which needs the
  // sockets capability.
  const std::string message = "ping over tcp";
  uint16_t port = 0;
  WasiConfig module_config;
  module_config.args = {"tcp_echo_once"};
  module_config.listeners = {wasmlet::testing::listen_loopback(port)};
  std::string echoed;
  std::jthread client([&] { echoed = echo_client(port, message); });
  Result p1 = as_module("tcp_echo_once", module_config);
  client.join();
  EXPECT_EQ(p1.status, 0) << p1.err;
  EXPECT_EQ(p1.out, "echoed\n");
  EXPECT_EQ(echoed, message);

  auto path = component_test::wasip2_component_path("tcp_echo_once");
  if (!fs::exists(path)) GTEST_SKIP() << "preview1 half checked; " << path << " was not built (jco missing: npm ci)";
  // Compile (and cache) first, so that the port found free is bound moments later.
  Engine warm = component_test::tier_engine(GetParam());
  component::CompiledComponent::from_file(warm, path);
  uint16_t p2_port = wasmlet::testing::free_port();
  WasiConfig config;
  config.args = {"tcp_echo_once"};
  config.env = {"WASIP2_GLUE_TCPLISTEN=127.0.0.1:" + std::to_string(p2_port)};
  std::string p2_echoed, skip;
  std::jthread p2_client([&] { p2_echoed = echo_client(p2_port, message); });
  auto p2 = as_component(GetParam(), path, config, skip, component::WasiHostOptions{.allow_sockets = true});
  ASSERT_TRUE(p2) << skip;
  p2_client.join();
  EXPECT_EQ(p2->status, p1.status) << p2->err;
  EXPECT_EQ(p2->out, p1.out);
  EXPECT_EQ(p2->err, p1.err);
  EXPECT_EQ(p2_echoed, echoed);
}

TEST_P(Preview1Parity, TcpEchoWithoutTheSocketsCapability) {
  // Without the capability wasi:sockets answers access-denied: the
  // component cannot listen, as a preview1 module cannot without a listener.
  uint16_t port = wasmlet::testing::free_port();
  WasiConfig config;
  config.args = {"tcp_echo_once"};
  config.env = {"WASIP2_GLUE_TCPLISTEN=127.0.0.1:" + std::to_string(port)};
  std::string skip;
  auto p2 = as_component(GetParam(), component_test::wasip2_component_path("tcp_echo_once"), config, skip);
  if (!p2) GTEST_SKIP() << skip;
  EXPECT_EQ(p2->status, 1);
  EXPECT_EQ(p2->out, "accept failed: errno 2\n");  // __WASI_ERRNO_ACCES
  int fd = wasmlet::testing::connect_loopback(port);
  EXPECT_LT(fd, 0) << "nothing may listen on port " << port;
  if (fd >= 0) ::close(fd);

  Result p1 = as_module("tcp_echo_once", WasiConfig{{"tcp_echo_once"}, {}, {}, {}, {}, {}});
  EXPECT_EQ(p1.status, 1);
  EXPECT_EQ(p1.out, "accept failed: errno 8\n");  // __WASI_ERRNO_BADF: fd 3 is no socket
}

TEST_P(Preview1Parity, AdapterOnlyComponentTrapsOnPreview1Sockets) {
  // jco's preview1 adapter implements sock_accept/sock_recv/sock_send as
  // `unreachable` (wasmtime behaves the same). If jco's adapter ever
  // implements them, this test fails and must become a parity check.
  auto path = component_test::component_path("tcp_echo_once");
  if (!fs::exists(path)) GTEST_SKIP() << path << " was not built (jco missing: npm ci)";
  Engine engine = component_test::tier_engine(GetParam());
  auto c = component::CompiledComponent::from_file(engine, path);
  Store store(engine);
  WasiConfig config;
  config.args = {"tcp_echo_once"};
  config.output = [](OutputStream, std::span<const uint8_t>) {};
  component::WasiHost host(std::move(config), component::WasiHostOptions{.allow_sockets = true});
  Outcome o = component::run_component(store, c, host);
  ASSERT_TRUE(o.trapped()) << "status " << o.status();
  EXPECT_EQ(o.trap.kind, TrapKind::Unreachable) << o.trap.to_string();
}

// tests/wasi/sandbox_test.cpp's cases through the component front end
// (jco's preview1 adapter over wasi:filesystem), with openat2 and with the
// portable walker: the same calls are refused, and nothing outside the
// preopen, or beneath the read-only one, changes.
TEST_P(Preview1Parity, SandboxCasesAreRefusedAlike) {
  namespace cases = wasmlet::testing::sandbox_cases;
  struct Restore {
    ~Restore() { wasmlet::wasi_sys::force_fallback_resolver(false); }
  } restore;
  const auto path = component_test::component_path("wasi_sandbox");
  if (!fs::exists(path)) GTEST_SKIP() << path << " was not built (jco missing: npm ci)";
  for (bool walker : {false, true}) {
    SCOPED_TRACE(walker ? "portable walker" : "openat2");
    wasmlet::wasi_sys::force_fallback_resolver(walker);
    std::string skip;
    {
      cases::EscapeLayout layout;
      auto run = as_component(GetParam(), path, WasiConfig{{"wasi_sandbox", "escape"}, {}, {{layout.sb, "/sb", false}}, {}, {}, {}}, skip);
      ASSERT_TRUE(run) << skip;
      EXPECT_EQ(run->status, 0) << run->err;
      EXPECT_EQ(cases::refusals_only(run->out), cases::refusals_only(cases::kEscapeExpected));
      layout.expect_outside_untouched();
    }
    {
      cases::ReadOnlyLayout layout;
      auto run = as_component(GetParam(), path, WasiConfig{{"wasi_sandbox", "readonly"}, {}, {{layout.ro, "/ro", true}}, {}, {}, {}}, skip);
      ASSERT_TRUE(run) << skip;
      EXPECT_EQ(run->status, 0) << run->err;
      // WASI 0.2 has no append flag on open-at: the adapter opens for
      // reading, which a read-only preopen allows, and would refuse the
      // append on the first write (append-via-stream: read-only).
      std::string expected = cases::refusals_only(cases::kReadOnlyExpected);
      const std::string append = "open append errno=refused\n";
      ASSERT_NE(expected.find(append), std::string::npos);
      expected.replace(expected.find(append), append.size(), "open append errno=0\n");
      EXPECT_EQ(cases::refusals_only(run->out), expected);
      layout.expect_unchanged();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(, Preview1Parity, ::testing::Values(Tier::Interpreter, Tier::Aot), component_test::tier_name);
