// `wasmlet run COMPONENT.wasm` end to end: the real CLI on jco command components.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "component_fixtures.h"
#include "loopback.h"
#include "process.h"

using namespace wasmlet::testing;
using namespace std::chrono_literals;

#define REQUIRE_COMPONENT_FILE(var, name)                                         \
  auto var = component_test::component_path(name).string();                       \
  if (!std::filesystem::exists(var)) GTEST_SKIP() << var << " was not built: jco is missing (npm ci)"

TEST(ComponentCli, RunsACommandComponent) {
  REQUIRE_COMPONENT_FILE(path, "hello_stdio");
  auto r = run_wasmlet({"run", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello from wasm\n");
  EXPECT_EQ(r.err, "a line on stderr\n");
}

TEST(ComponentCli, ExitStatusThroughTheAdapter) {
  REQUIRE_COMPONENT_FILE(path, "exit_code");
  // wasi:cli/exit@0.2 carries ok/err only: jco's adapter exits 1 for any nonzero code.
  EXPECT_EQ(run_wasmlet({"run", path, "--", "0"}).exit_code, 0);
  EXPECT_EQ(run_wasmlet({"run", path, "--", "42"}).exit_code, 1);
}

TEST(ComponentCli, ExitStatusThroughExitWithCode) {
  // The same program linked with tests/component/wasip2_glue calls
  // wasi:cli/exit.exit-with-code: its status reaches the shell unchanged.
  auto path = component_test::wasip2_component_path("exit_code").string();
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " was not built: jco is missing (npm ci)";
  for (int code : {0, 3, 42, 255}) EXPECT_EQ(run_wasmlet({"run", path, "--", std::to_string(code)}).exit_code, code);
}

TEST(ComponentCli, AllowSocketsLetsAComponentListen) {
  auto path = component_test::wasip2_component_path("tcp_echo_once").string();
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " was not built: jco is missing (npm ci)";
  uint16_t port = free_port();
  std::string echoed;
  std::jthread client([&] {
    int fd = connect_loopback_when_listening(port, 60s);
    ASSERT_GE(fd, 0) << "nothing listened on " << port;
    ASSERT_EQ(::write(fd, "over the cli", 12), 12);
    ::shutdown(fd, SHUT_WR);
    char buf[64];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) echoed.append(buf, size_t(n));
    ::close(fd);
  });
  auto r = run_wasmlet({"run", "--allow-sockets", "--env", "WASIP2_GLUE_TCPLISTEN=127.0.0.1:" + std::to_string(port), path});
  client.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "echoed\n");
  EXPECT_EQ(echoed, "over the cli");
}

TEST(ComponentCli, SocketsAreDeniedWithoutAllowSockets) {
  auto path = component_test::wasip2_component_path("tcp_echo_once").string();
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " was not built: jco is missing (npm ci)";
  auto r = run_wasmlet({"run", "--env", "WASIP2_GLUE_TCPLISTEN=127.0.0.1:" + std::to_string(free_port()), path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "accept failed: errno 2\n");  // access-denied -> __WASI_ERRNO_ACCES
}

TEST(ComponentCli, EachAbiRefusesTheOthersNetworkFlag) {
  REQUIRE_COMPONENT_FILE(component, "hello_stdio");
  auto r = run_wasmlet({"run", "--tcplisten", "127.0.0.1:0", component});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a WASI 0.2 component opens its own sockets through wasi:sockets (use --allow-sockets)"),
            std::string::npos) << r.err;
  auto module = std::filesystem::path(WASM_DIR) / "hello_stdio.wasm";
  r = run_wasmlet({"run", "--allow-sockets", module.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a preview1 module cannot create sockets (pass it a listener with --tcplisten"),
            std::string::npos) << r.err;
  // A file that is not there is reported as such, not as the wrong kind of binary.
  r = run_wasmlet({"run", "--allow-sockets", "/nonexistent/x.wasm"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot open module '/nonexistent/x.wasm': No such file or directory"), std::string::npos)
      << r.err;
}

TEST(ComponentCli, PreopenedDirectory) {
  REQUIRE_COMPONENT_FILE(path, "p2_files");
  component_test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "data");
  std::filesystem::create_directories(dir.path() / "ro");
  std::ofstream(dir.path() / "ro" / "in.txt") << "read-only line\n";
  auto r = run_wasmlet({"run", "--dir", (dir.path() / "data").string() + "::/data", "--dir-ro",
                        (dir.path() / "ro").string() + "::/ro", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read back: written line\n"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data" / "out.txt"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "ro" / "new.txt"));
}

TEST(ComponentCli, TimeoutStopsALoopingComponent) {
  REQUIRE_COMPONENT_FILE(path, "loop_forever");
  auto r = run_wasmlet({"run", "--timeout", "300ms", path});
  EXPECT_EQ(r.exit_code, 134);
  EXPECT_EQ(r.out, "looping\n");
  EXPECT_NE(r.err.find("limit exceeded: timeout (--timeout 300ms)"), std::string::npos) << r.err;
  EXPECT_LT(r.elapsed, 5000ms);
}

// A timeout that expires while the component waits in a host call (sleep:
// wasi:io/poll) is the same limit trap as in guest code, as for a module.
TEST(ComponentCli, TimeoutInABlockingHostCallIsALimitTrap) {
  REQUIRE_COMPONENT_FILE(path, "rt_sleep");
  auto r = run_wasmlet({"run", "--timeout", "300ms", path});
  EXPECT_EQ(r.exit_code, 134);
  EXPECT_EQ(r.out, "sleeping\n");
  EXPECT_NE(r.err.find("trap: timeout"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("limit exceeded: timeout (--timeout 300ms)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("host error"), std::string::npos) << r.err;
  EXPECT_LT(r.elapsed, 5000ms);
}

TEST(ComponentCli, MemoryLimitApplies) {
  REQUIRE_COMPONENT_FILE(path, "memory_hog");
  auto r = run_wasmlet({"run", "--max-memory", "8Mi", path});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the guest's exit(3), through the adapter
  EXPECT_NE(r.out.find("before malloc failed"), std::string::npos) << r.out;
}

TEST(ComponentCli, InvokeIsRefusedForComponents) {
  REQUIRE_COMPONENT_FILE(path, "hello_stdio");
  auto r = run_wasmlet({"run", "--invoke", "run", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--invoke applies to core modules"), std::string::npos) << r.err;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
constexpr bool kAddressSanitizer = __has_feature(address_sanitizer);
#else
constexpr bool kAddressSanitizer = false;
#endif

// wasmlet's stdout a pipe on a kernel that refuses RWF_NOWAIT for it (as
// older kernels do for pipes, and 6.18 still for a named FIFO), simulated by
// preloading tests/support/refuse_rwf_nowait.c: the writes fall back to
// waiting for room with poll(2). A guest copying 1 MiB of numbered lines to
// the pipe, which nothing reads for its first second so that it fills,
// still delivers them all, in order, as a preview1 module and as a component.
TEST(ComponentCli, OutputArrivesWhenTheKernelRefusesRwfNowait) {
  REQUIRE_COMPONENT_FILE(component, "wasi_stdio");
  const std::string module = (std::filesystem::path(WASM_DIR) / "wasi_stdio.wasm").string();
  std::string lines;
  for (int i = 0; lines.size() < (1u << 20); ++i) lines += "line " + std::to_string(i) + "\n";
  for (const std::string& program : {module, component}) {
    component_test::TempDir dir;
    const auto log = dir.path() / "refusals";
    ProcessExtras refuse{.env = {"LD_PRELOAD=" REFUSE_RWF_NOWAIT_SHIM, "REFUSE_RWF_NOWAIT_LOG=" + log.string()},
                         .read_after = 1000ms};
    if (kAddressSanitizer) {
      // gcc's ASan runtime is a shared library, and the preloaded shim comes before it.
      const char* asan = std::getenv("ASAN_OPTIONS");
      refuse.env.push_back(std::string("ASAN_OPTIONS=") + (asan ? std::string(asan) + ":" : "") +
                           "verify_asan_link_order=0");
    }
    auto r = run_wasmlet({"run", program, "--", "cat"}, 120s, lines, refuse);
    EXPECT_EQ(r.exit_code, 0) << program << ": " << r.err;
    EXPECT_EQ(r.err, "copied " + std::to_string(lines.size()) + "\n") << program;
    EXPECT_EQ(r.out.size(), lines.size()) << program;
    EXPECT_TRUE(r.out == lines) << program << ": the lines arrived changed or out of order";
    // The shim refused a write (so the fallback is what ran), and no more
    // than once for each of stdout and stderr: the refusal is remembered.
    const auto refusals = std::filesystem::exists(log) ? std::filesystem::file_size(log) : 0;
    EXPECT_GE(refusals, 1u) << program;
    EXPECT_LE(refusals, 2u) << program;
  }
}

// Kernels before 4.16 (and glibc's pwritev2 emulation) refuse RWF_APPEND
// (EOPNOTSUPP, or EINVAL): an append-via-stream write to a file then goes
// at the end fstat gives. WasiHost.AnAppendStreamWritesAtTheEndWithinTheSizeLimit
// (an in-process test: where it writes, and the size limit's count) is run
// again in a child of this test binary with the shim refusing the flag,
// each way; the refusal is asked for once, then remembered.
TEST(ComponentCli, AppendStreamsWriteAtTheEndWhenTheKernelRefusesRwfAppend) {
  for (const std::string how : {"EOPNOTSUPP", "EINVAL"}) {
    component_test::TempDir dir;
    const auto log = dir.path() / "refusals";
    ProcessExtras refuse{.env = {"LD_PRELOAD=" REFUSE_RWF_NOWAIT_SHIM, "REFUSE_RWF_NOWAIT_LOG=" + log.string(),
                                 "REFUSE_RWF_APPEND=" + how}};
    if (kAddressSanitizer) {
      const char* asan = std::getenv("ASAN_OPTIONS");
      refuse.env.push_back(std::string("ASAN_OPTIONS=") + (asan ? std::string(asan) + ":" : "") + "verify_asan_link_order=0");
    }
    auto r = run_process({std::filesystem::read_symlink("/proc/self/exe").string(),
                          "--gtest_filter=WasiHost.AnAppendStreamWritesAtTheEndWithinTheSizeLimit"},
                         60s, std::nullopt, refuse);
    EXPECT_EQ(r.exit_code, 0) << how << ": " << r.out << r.err;
    EXPECT_NE(r.out.find("[  PASSED  ] 1 test"), std::string::npos) << how << ": " << r.out;
    std::ifstream in(log);
    const std::string refusals{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    EXPECT_EQ(refusals, "a") << how << ": the shim refused no RWF_APPEND write, or was asked again";
  }
}
