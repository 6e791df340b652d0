// `wasmlet run` end to end: the real CLI binary on real WASI programs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "process.h"

#include "temp_dir.h"

using namespace wasmlet::testing;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {
std::string wasm(const std::string& name) { return (fs::path(WASM_DIR) / (name + ".wasm")).string(); }

using ::wasmlet::testing::TempDir;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST(Run, HelloWritesStdoutAndStderr) {
  auto r = run_wasmlet({"run", wasm("hello_stdio")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello from wasm\n");
  EXPECT_EQ(r.err, "a line on stderr\n");
}

// On a pipe the guest's stdout is not a terminal, so its libc buffers fully
// as a native program's would (captured logs keep the terminal type:
// WasiStdio.CapturedOutputLooksLikeATerminal).
TEST(Run, StdoutOnAPipeIsNotATerminal) {
  auto r = run_wasmlet({"run", wasm("stdout_kind")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "stdout type=0 tty=0\n");
}

TEST(Run, ExitStatusIsTheGuestsExitCode) {
  for (int code : {0, 1, 42, 255}) {
    auto r = run_wasmlet({"run", wasm("exit_code"), "--", std::to_string(code)});
    EXPECT_EQ(r.exit_code, code) << r.err;
  }
}

TEST(Run, BundledExampleUsesPreopenArgsAndEnv) {
  TempDir dir;
  dir.write("notes.txt", "one two\nthree\n");
  auto r = run_wasmlet({"run", "--dir", dir.path().string() + "::/data", "--env", "GREETING=hey", wasm("hello"), "--",
                    "world", "/data/notes.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hey, world! (argc=3)\n/data/notes.txt: 2 lines, 3 words\n");
  EXPECT_EQ(read(dir.path() / "report.txt"), "/data/notes.txt has 2 lines and 3 words\n");
}

TEST(Run, ReadOnlyDirRefusesTheWrite) {
  TempDir dir;
  dir.write("notes.txt", "a b c\n");
  auto r = run_wasmlet({"run", "--dir-ro", dir.path().string() + "::/data", wasm("hello"), "--", "x", "/data/notes.txt"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("/data/notes.txt: 1 lines, 3 words"));
  EXPECT_THAT(r.err, HasSubstr("/data/report.txt"));
  EXPECT_FALSE(fs::exists(dir.path() / "report.txt"));
}

TEST(Run, StdinComesFromAFile) {
  TempDir dir;
  auto input = dir.write("in.txt", "a b\nc\n");
  TempDir data;
  data.write("dummy", "");
  // hello reads the file named by argv[2]; /dev/stdin is not in the sandbox, so
  // use the exit_code fixture to show --stdin is accepted and a bad path is refused.
  auto ok = run_wasmlet({"run", "--stdin", input.string(), wasm("exit_code"), "--", "7"});
  EXPECT_EQ(ok.exit_code, 7) << ok.err;
  auto missing = run_wasmlet({"run", "--stdin", (dir.path() / "nope").string(), wasm("exit_code")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("nope"));
}

TEST(Run, TrapsExitNonZeroNamingKindAndFunction) {
  struct Case { const char* arg; const char* kind; const char* function; };
  for (auto c : {Case{"unreachable", "trap: unreachable", "crash_unreachable"},
                 Case{"divide", "trap: integer divide by zero", "divide"},
                 Case{"oob", "trap: out of bounds memory access", "main"}}) {
    auto r = run_wasmlet({"run", wasm("traps"), "--", c.arg});
    EXPECT_EQ(r.exit_code, 134) << c.arg;
    EXPECT_THAT(r.err, HasSubstr(c.kind));
    EXPECT_THAT(r.err, HasSubstr(std::string("in function '") + c.function));
    EXPECT_THAT(r.err, HasSubstr("traps.wasm"));
  }
}

TEST(Run, MissingEntryPointNamesBothCandidates) {
  auto r = run_wasmlet({"run", wasm("no_entry")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("neither '_start' nor 'main'"));
  EXPECT_THAT(r.err, HasSubstr("no_entry.wasm"));
}

TEST(Run, MainIsTheFallbackEntryPoint) {
  EXPECT_EQ(run_wasmlet({"run", wasm("main_only")}).exit_code, 5);
}

TEST(Run, InvokeCallsAnotherExportAndPrintsResults) {
  auto r = run_wasmlet({"run", "--invoke", "helper", wasm("no_entry")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "7\n");
  auto bad = run_wasmlet({"run", "--invoke", "missing", wasm("no_entry")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("missing"));
}

TEST(Run, BadBinariesGiveDocumentedErrors) {
  TempDir dir;
  struct Case { std::string name, bytes, message; };
  std::string header("\0asm\x01\0\0\0", 8);
  for (const auto& c : {Case{"empty.wasm", "", "the file is empty"},
                        Case{"garbage.wasm", "this is not wasm", "missing the \\0asm magic"},
                        Case{"truncated.wasm", header, "only the 8-byte header"},
                        Case{"component.wasm", std::string("\0asm\x0d\0\x01\0", 8) + std::string(1, '\0'),
                             "at offset 0x9: unexpected end of input"},  // components are parsed and run
                        Case{"broken.wasm", header + "\x01\x10\x01", "malformed module: byte 0x9: length out of bounds"}}) {
    auto path = dir.write(c.name, c.bytes);
    auto r = run_wasmlet({"run", path.string()});
    EXPECT_EQ(r.exit_code, 1) << c.name;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << c.name;
    EXPECT_THAT(r.err, HasSubstr(c.name));
  }
  auto r = run_wasmlet({"run", (dir.path() / "absent.wasm").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("absent.wasm"));
}

TEST(Run, MemoryLimitMakesMallocFail) {
  auto r = run_wasmlet({"run", "--max-memory", "16Mi", wasm("memory_hog")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.out, HasSubstr("before malloc failed"));
  auto unlimited = run_wasmlet({"run", wasm("memory_hog")});
  EXPECT_EQ(unlimited.exit_code, 0);
  EXPECT_EQ(unlimited.out, "allocated 64 MiB\n");
}

TEST(Run, BadLimitValuesAreRejected) {
  auto r = run_wasmlet({"run", "--max-memory", "64MB", wasm("exit_code")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("'64MB'"));
  auto t = run_wasmlet({"run", "--timeout", "soon", wasm("exit_code")});
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_THAT(t.err, HasSubstr("'soon'"));
}

TEST(Run, FuelExhaustionSaysWhichLimit) {
  auto r = run_wasmlet({"run", "--fuel", "10000", wasm("loop_forever")});
  EXPECT_EQ(r.exit_code, 134);
  EXPECT_THAT(r.err, HasSubstr("trap: fuel exhausted"));
  EXPECT_THAT(r.err, HasSubstr("limit exceeded: fuel (--fuel 10000)"));
}

TEST(Run, TimeoutInterruptsAnInfiniteLoop) {
  auto start = std::chrono::steady_clock::now();
  auto r = run_wasmlet({"run", "--timeout", "300ms", wasm("loop_forever")}, 10s);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 134);
  EXPECT_EQ(r.out, "looping\n");
  EXPECT_THAT(r.err, HasSubstr("limit exceeded: timeout (--timeout 300ms)"));
  // 300 ms of guest time, plus process start and module compile (well under a second).
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 2s);
}

TEST(Run, SimdBulkMemoryAndOtherPostMvpFeaturesFromClang) {
  auto r = run_wasmlet({"run", wasm("simd_features")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "dot=43680\nbulk=xxxxxxxxbulk\nsat=2147483647\nsext=-5\n");
}

TEST(Run, TcpListenPassesAListenerTheGuestAcceptsOn) {
  // A free port: bind to 0, read it back, release it for wasmlet.
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
  close(probe);
  const int port = ntohs(addr.sin_port);

  ProcessResult guest;
  std::thread runner([&] {
    guest = run_wasmlet({"run", "--tcplisten", "127.0.0.1:" + std::to_string(port), wasm("tcp_echo_once")}, 20s);
  });
  int fd = -1;
  for (int attempt = 0; attempt < 200 && fd < 0; ++attempt) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd);
      fd = -1;
      std::this_thread::sleep_for(25ms);
    }
  }
  ASSERT_GE(fd, 0) << "wasmlet never listened on port " << port;
  const std::string message = "ping through the sandbox\n";
  ASSERT_EQ(write(fd, message.data(), message.size()), ssize_t(message.size()));
  shutdown(fd, SHUT_WR);
  std::string echoed;
  char buf[256];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) echoed.append(buf, n);
  close(fd);
  runner.join();
  EXPECT_EQ(echoed, message);
  EXPECT_EQ(guest.exit_code, 0) << guest.err;
  EXPECT_EQ(guest.out, "echoed\n");
}

TEST(Run, AotTierGivesTheSameResultsAsTheInterpreter) {
  TempDir cache;
  setenv("WASMLET_CACHE_DIR", cache.path().c_str(), 1);
  auto compiled = run_wasmlet({"compile", wasm("exit_code")}, 120s);
  EXPECT_EQ(compiled.exit_code, 0) << compiled.err;
  for (int code : {0, 42}) {
    auto r = run_wasmlet({"run", "--tier", "aot", wasm("exit_code"), "--", std::to_string(code)});
    EXPECT_EQ(r.exit_code, code) << r.err;
  }
  auto trap = run_wasmlet({"run", "--tier", "aot", wasm("traps"), "--", "unreachable"}, 120s);
  EXPECT_EQ(trap.exit_code, 134);
  EXPECT_THAT(trap.err, HasSubstr("trap: unreachable"));
  auto bad = run_wasmlet({"run", "--tier", "jit", wasm("exit_code")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("'jit'"));
  unsetenv("WASMLET_CACHE_DIR");
}

TEST(Run, CompileWithFuelPrecompilesBothBuilds) {
  TempDir cache;
  setenv("WASMLET_CACHE_DIR", cache.path().c_str(), 1);
  auto compiled = run_wasmlet({"compile", "--fuel", wasm("exit_code")}, 240s);
  EXPECT_EQ(compiled.exit_code, 0) << compiled.err;
  EXPECT_THAT(compiled.out, HasSubstr("with the fuel build"));
  size_t artifacts = 0;
  for (const auto& e : std::filesystem::directory_iterator(cache.path() / "aot"))
    if (e.path().extension() == ".so") ++artifacts;
  EXPECT_EQ(artifacts, 2u);  // the build without checks and the fuel build
  // Running with --fuel now finds its build in the cache: nothing new is compiled.
  auto r = run_wasmlet({"run", "--tier", "aot", "--fuel", "100000000", wasm("exit_code"), "--", "7"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  artifacts = 0;
  for (const auto& e : std::filesystem::directory_iterator(cache.path() / "aot"))
    if (e.path().extension() == ".so") ++artifacts;
  EXPECT_EQ(artifacts, 2u);
  unsetenv("WASMLET_CACHE_DIR");
}
