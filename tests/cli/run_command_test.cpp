// `wasmlet run` end to end: the real CLI binary on real WASI programs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "loopback.h"
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

// README.md's example, run as the README shows it on examples/hello/notes.txt
// (what scripts/example.sh does): the output and report.txt are what the
// README says they are.
TEST(Run, TheReadmeExampleIsTrue) {
  std::ifstream readme(SOURCE_DIR "/README.md");
  std::vector<std::string> lines;
  for (std::string line; std::getline(readme, line);) lines.push_back(line);
  const std::string prompt = "    $ wasmlet run --dir ./data::/data ";
  auto at = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.starts_with(prompt); });
  ASSERT_NE(at, lines.end()) << "README.md has no example starting '" << prompt << "'";
  std::string expected_out, expected_report;
  auto it = at + 1;
  for (; it != lines.end() && !it->starts_with("    $ "); ++it) expected_out += it->substr(4) + "\n";
  ASSERT_NE(it, lines.end());
  ASSERT_EQ(*it, "    $ cat ./data/report.txt");
  ASSERT_NE(it + 1, lines.end());
  expected_report = (it + 1)->substr(4) + "\n";

  TempDir dir;
  fs::create_directories(dir.path() / "data");
  fs::copy_file(SOURCE_DIR "/examples/hello/notes.txt", dir.path() / "data" / "notes.txt");
  std::vector<std::string> args;
  std::istringstream words(at->substr(std::string("    $ wasmlet ").size()));
  for (std::string w; words >> w;) {
    if (w.starts_with("./data")) w = (dir.path() / "data").string() + w.substr(6);
    if (w == "build/wasm/hello.wasm") w = wasm("hello");
    args.push_back(w);
  }
  auto r = run_wasmlet(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected_out);
  EXPECT_EQ(read(dir.path() / "data" / "report.txt"), expected_report);
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
                        Case{"component.wasm", std::string("\0asm\x0d\0\x01\0", 8) + std::string(1, '\0'),
                             "at offset 0x9: unexpected end of input"},  // components are parsed and run
                        Case{"broken.wasm", header + "\x01\x10\x01", "malformed module: byte 0x9: length out of bounds"}}) {
    auto path = dir.write(c.name, c.bytes);
    auto r = run_wasmlet({"run", path.string()});
    EXPECT_EQ(r.exit_code, 1) << c.name;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << c.name;
    EXPECT_THAT(r.err, HasSubstr(c.name));
  }
  // The header alone is a valid module with nothing to run: a usage error, like any module without _start.
  auto empty = run_wasmlet({"run", dir.write("truncated.wasm", header).string()});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_THAT(empty.err, HasSubstr("truncated.wasm: no entry point: the file holds only the 8-byte header"));
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
  const uint16_t port = free_port();
  ASSERT_NE(port, 0) << "no free loopback port";
  ProcessResult guest;
  std::jthread runner([&] {  // joined on every way out, an ASSERT's return included
    guest = run_wasmlet({"run", "--tcplisten", "127.0.0.1:" + std::to_string(port), wasm("tcp_echo_once")}, 20s);
  });
  const int fd = connect_loopback_when_listening(port, 5s);
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

// stdin: wasmlet's own by default (as wasmtime), a file, or nothing.
TEST(RunStdin, PipedStdinReachesTheGuestByDefault) {
  auto r = run_wasmlet({"run", wasm("cat_stdin")}, 20s, std::string("hi\nthere\n"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hi\nthere\n");
  auto dash = run_wasmlet({"run", "--stdin", "-", wasm("cat_stdin")}, 20s, std::string("dash\n"));
  EXPECT_EQ(dash.out, "dash\n") << dash.err;
}

// Node's child_process and systemd socket units give a socket as stdin,
// which /dev/stdin cannot reopen (ENXIO): the guest still reads it.
TEST(RunStdin, ASocketAsStdinReachesTheGuest) {
  int in[2], out[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in), 0);
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  const std::string bin = WASMLET_BIN, module = wasm("cat_stdin");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(in[1], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    execl(bin.c_str(), bin.c_str(), "run", module.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[1]);
  close(out[1]);
  ASSERT_EQ(write(in[0], "over a socket\n", 14), 14);
  shutdown(in[0], SHUT_WR);
  std::string got;
  char buf[256];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  int status = 0;
  waitpid(pid, &status, 0);
  close(in[0]);
  close(out[0]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(got, "over a socket\n");
}

TEST(RunStdin, FileDevNullAndNoStdin) {
  TempDir dir;
  auto input = dir.write("in.txt", "from a file\n");
  auto file = run_wasmlet({"run", "--stdin", input.string(), wasm("cat_stdin")}, 20s, std::string("piped\n"));
  EXPECT_EQ(file.out, "from a file\n") << file.err;
  for (auto flags : {std::vector<std::string>{"--no-stdin"}, std::vector<std::string>{"--stdin", "/dev/null"}}) {
    flags.insert(flags.begin(), "run");
    flags.push_back(wasm("cat_stdin"));
    auto r = run_wasmlet(flags, 20s, std::string("ignored\n"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "") << flags[1];
  }
}

// A guest blocked reading a stdin that never ends is stopped by --timeout
// like a computing one.
TEST(RunStdin, TimeoutEndsAReadBlockedOnStdin) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);  // its write end stays open: the read never sees EOF
  auto r = run_process({"/bin/sh", "-c", std::string(WASMLET_BIN) + " run --timeout 300ms " + wasm("cat_stdin") + " <&" +
                                             std::to_string(fds[0])}, 10s);
  close(fds[0]);
  close(fds[1]);
  EXPECT_EQ(r.exit_code, 134);
  EXPECT_THAT(r.err, HasSubstr("limit exceeded: timeout (--timeout 300ms)"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("host error")));
}

TEST(Run, TimeoutInABlockingHostCallIsATimeoutLimit) {
  auto r = run_wasmlet({"run", "--timeout", "300ms", wasm("rt_sleep")}, 10s);
  EXPECT_EQ(r.exit_code, 134);
  EXPECT_EQ(r.out, "sleeping\n");
  EXPECT_THAT(r.err, HasSubstr("trap: timeout"));
  EXPECT_THAT(r.err, HasSubstr("limit exceeded: timeout (--timeout 300ms)"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("interrupted")));
}

// proc_exit codes that do not fit in 8 bits would be truncated by the OS
// (256 would read as success): they become status 1, with a message.
TEST(Run, ExitCodesBeyondEightBitsAreAFailure) {
  for (const char* code : {"256", "512", "-1"}) {
    auto r = run_wasmlet({"run", wasm("exit_code"), "--", code});
    EXPECT_EQ(r.exit_code, 1) << code;
    EXPECT_THAT(r.err, HasSubstr("does not fit in a process exit status")) << code;
    EXPECT_THAT(r.err, ::testing::StartsWith("wasmlet: error: ")) << code;
  }
  EXPECT_EQ(run_wasmlet({"run", wasm("exit_code"), "--", "255"}).exit_code, 255);
}

TEST(Run, ADirectoryIsNamedAsOne) {
  TempDir dir;
  auto r = run_wasmlet({"run", dir.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot run '" + dir.path().string() + "': it is a directory"));
}

TEST(Run, MaxMemoryAboveFourGiBIsClampedWithANote) {
  auto r = run_wasmlet({"run", "--max-memory", "8Gi", wasm("exit_code"), "--", "3"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("wasmlet: note: --max-memory 8Gi is more than the 4Gi a wasm32 memory can address"));
}

// wasmtime's spellings give the same behaviour as the long options.
TEST(WasmtimeSyntax, WasmOptionsMatchTheLongOptions) {
  auto fuel = run_wasmlet({"run", "-W", "fuel=10000", wasm("loop_forever")});
  EXPECT_EQ(fuel.exit_code, 134);
  EXPECT_THAT(fuel.err, HasSubstr("limit exceeded: fuel (--fuel 10000)"));
  auto memory = run_wasmlet({"run", "-W", "max-memory-size=16777216", wasm("memory_hog")});
  auto memory_long = run_wasmlet({"run", "--max-memory", "16Mi", wasm("memory_hog")});
  EXPECT_EQ(memory.exit_code, 3) << memory.err;
  EXPECT_EQ(memory.out, memory_long.out);
  auto timeout = run_wasmlet({"run", "-W", "timeout=300ms,fuel=100000000000", wasm("loop_forever")}, 10s);
  EXPECT_EQ(timeout.exit_code, 134);
  EXPECT_THAT(timeout.err, HasSubstr("limit exceeded: timeout (--timeout 300ms)"));
  auto seconds = run_wasmlet({"run", "-W", "timeout=0.3", wasm("loop_forever")}, 10s);  // wasmtime: a bare number is seconds
  EXPECT_THAT(seconds.err, HasSubstr("limit exceeded: timeout"));
  auto unknown = run_wasmlet({"run", "-W", "fuel=1,max-wasm-stack=9", wasm("exit_code")});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown -W option 'max-wasm-stack' (known: fuel, max-memory-size, timeout)"));
  auto unknown_s = run_wasmlet({"run", "-S", "http", wasm("exit_code")});
  EXPECT_EQ(unknown_s.exit_code, 2);
  EXPECT_THAT(unknown_s.err, HasSubstr("unknown -S option 'http' (known: inherit-env, inherit-network, tcplisten)"));
}

TEST(WasmtimeSyntax, EnvArgv0AndMapdir) {
  setenv("WASMLET_TEST_FROM_HOST", "hostvalue", 1);
  auto inherit = run_wasmlet({"run", "-S", "inherit-env", "--env", "B=2", wasm("rt_env_args")});
  EXPECT_EQ(inherit.exit_code, 0) << inherit.err;
  EXPECT_THAT(inherit.out, HasSubstr("env WASMLET_TEST_FROM_HOST=hostvalue\n"));
  EXPECT_THAT(inherit.out, HasSubstr("env B=2\n"));
  auto one = run_wasmlet({"run", "--env", "WASMLET_TEST_FROM_HOST", wasm("rt_env_args")});
  EXPECT_EQ(one.out, "arg[0]=" + wasm("rt_env_args") + "\nenv WASMLET_TEST_FROM_HOST=hostvalue\n");
  auto isolated = run_wasmlet({"run", wasm("rt_env_args")});
  EXPECT_THAT(isolated.out, ::testing::Not(HasSubstr("WASMLET_TEST_FROM_HOST")));
  unsetenv("WASMLET_TEST_FROM_HOST");

  auto argv0 = run_wasmlet({"run", "--argv0", "myprog", wasm("rt_env_args"), "a"});
  EXPECT_EQ(argv0.out, "arg[0]=myprog\narg[1]=a\n");

  TempDir dir;
  dir.write("notes.txt", "one two\nthree\n");
  auto mapdir = run_wasmlet({"run", "--mapdir", "/data::" + dir.path().string(), wasm("hello"), "--", "w", "/data/notes.txt"});
  auto long_form = run_wasmlet({"run", "--dir", dir.path().string() + "::/data", wasm("hello"), "--", "w", "/data/notes.txt"});
  EXPECT_EQ(mapdir.exit_code, 0) << mapdir.err;
  EXPECT_EQ(mapdir.out, long_form.out);
  EXPECT_THAT(mapdir.out, HasSubstr("/data/notes.txt: 2 lines, 3 words"));
}

TEST(WasmtimeSyntax, TcpListenThroughDashS) {
  const uint16_t port = free_port();
  ASSERT_NE(port, 0) << "no free loopback port";
  ProcessResult guest;
  std::jthread runner([&] {  // joined on every way out, an ASSERT's return included
    guest = run_wasmlet({"run", "-S", "tcplisten=127.0.0.1:" + std::to_string(port), wasm("tcp_echo_once")}, 20s);
  });
  const int fd = connect_loopback_when_listening(port, 5s);
  ASSERT_GE(fd, 0) << "wasmlet never listened on port " << port;
  ASSERT_EQ(write(fd, "x\n", 2), 2);
  shutdown(fd, SHUT_WR);
  char buf[16];
  std::string echoed;
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) echoed.append(buf, n);
  close(fd);
  runner.join();
  EXPECT_EQ(echoed, "x\n");
  EXPECT_EQ(guest.exit_code, 0) << guest.err;
}

// stdout on a pipe whose reader is gone: the guest's write fails with EPIPE
// (it reports that and exits 3); SIGPIPE must not kill wasmlet, in any tier.
TEST(Run, AClosedStdoutPipeIsEpipeForTheGuest) {
  TempDir cache;
  setenv("WASMLET_CACHE_DIR", cache.path().c_str(), 1);
  for (const char* tier : {"interp", "aot"}) {
    auto r = run_process({"/bin/bash", "-c", "\"$0\" run --tier \"$1\" \"$2\" | true; echo \"status=${PIPESTATUS[0]}\"",
                          WASMLET_BIN, tier, wasm("stdout_closed")},
                         240s);
    EXPECT_EQ(r.out, "status=3\n") << tier << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("write failed: EPIPE=1")) << tier;
  }
  unsetenv("WASMLET_CACHE_DIR");
}

// An entry point with parameters is refused, naming the export and its type.
TEST(Run, AStartWithParametersIsRefused) {
  TempDir dir;
  const auto wat = dir.write("m.wat", R"((module (func (export "_start") (param i32) (result i32) local.get 0)))");
  const auto module = (dir.path() / "m.wasm").string();
  ASSERT_EQ(std::system(("wat2wasm '" + wat.string() + "' -o '" + module + "'").c_str()), 0);
  auto r = run_wasmlet({"run", module});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("export '_start' has type (i32) -> (i32), but an entry point must take no parameters"));
}

// A WASI import re-exported as _start (without parameters, so it may be an
// entry point): it runs in every tier (the interpreter used to crash here).
TEST(Run, AWasiImportReexportedAsStartRuns) {
  TempDir dir, cache;
  setenv("WASMLET_CACHE_DIR", cache.path().c_str(), 1);
  const auto wat = dir.write("m.wat", R"((module
    (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
    (export "_start" (func $yield))))");
  const auto module = (dir.path() / "m.wasm").string();
  ASSERT_EQ(std::system(("wat2wasm '" + wat.string() + "' -o '" + module + "'").c_str()), 0);
  for (const char* tier : {"interp", "aot"}) {
    auto r = run_wasmlet({"run", "--tier", tier, module}, 240s);
    EXPECT_EQ(r.signal, 0) << tier;
    EXPECT_EQ(r.exit_code, 0) << tier << ": " << r.err;
  }
  unsetenv("WASMLET_CACHE_DIR");
}

// `wasmlet run` starts in a few milliseconds partly because the dynamic
// loader has little to do (src/cli/CMakeLists.txt): libcrypto (SHA-256 of
// AOT cache keys) is linked statically where Debian ships libcrypto.a, and
// the C++ runtime and fmt wherever the compiler can link libstdc++
// statically, so the binary must not need their shared libraries. (Start-up
// time itself is measured by bench/run.mjs, not here.)
TEST(Run, TheStartingBinaryDoesNotLoadLibcryptoOrTheCxxRuntime) {
  auto r = run_process({"/usr/bin/readelf", "--dynamic", WASMLET_BIN});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(NEEDED)"));
  EXPECT_THAT(r.out, HasSubstr("libc.so"));
#ifdef WASMLET_CRYPTO_STATIC
  EXPECT_THAT(r.out, Not(HasSubstr("libcrypto"))) << r.out;
#else
  std::cerr << "  no libcrypto.a on this machine: wasmlet links libcrypto.so\n";
#endif
#ifdef WASMLET_STATIC_CXX_RUNTIME
  EXPECT_THAT(r.out, Not(HasSubstr("libstdc++"))) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("libfmt"))) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("libgcc_s"))) << r.out;
#else
  std::cerr << "  the compiler cannot link libstdc++ statically: wasmlet links libstdc++.so\n";
#endif
}
