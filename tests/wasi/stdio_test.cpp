// stdin from a file (or empty), stdout/stderr to the OutputSink in order.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "closed_stdout_pipe.h"
#include "unread_stdout_pipe.h"
#include "wasi_test_support.h"

namespace wasmlet::testing {
namespace {

TEST(WasiStdio, StdinFromFileIsCopiedToStdout) {
  TempDir dir;
  std::string content;
  for (int i = 0; i < 5000; ++i) content += "stdin line " + std::to_string(i) + "\n";
  write_file(dir / "in.txt", content);
  WasiConfig config;
  config.args = {"wasi_stdio", "cat"};
  config.stdin_file = dir / "in.txt";
  GuestRun run = run_guest("wasi_stdio", config);
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.out, content);
  EXPECT_EQ(run.err, "copied " + std::to_string(content.size()) + "\n");
}

TEST(WasiStdio, StdinIsEmptyByDefault) {
  WasiConfig config;
  config.args = {"wasi_stdio", "cat"};
  GuestRun run = run_guest("wasi_stdio", config);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "copied 0\n");
}

TEST(WasiStdio, MissingStdinFileIsAUsageError) {
  Engine engine;
  Store store(engine);
  WasiConfig config;
  config.stdin_file = "/nonexistent/stdin.txt";
  EXPECT_THROW(attach_wasi(store, config), UsageError);
}

TEST(WasiStdio, InterleavedStdoutAndStderrKeepTheirOrder) {
  WasiConfig config;
  config.args = {"wasi_stdio", "interleave"};
  GuestRun run = run_guest("wasi_stdio", config);
  std::string out, err, combined;
  for (int i = 0; i < 50; ++i) {
    out += "out " + std::to_string(i) + "\n";
    err += "err " + std::to_string(i) + "\n";
    combined += "out " + std::to_string(i) + "\nerr " + std::to_string(i) + "\n";
  }
  EXPECT_EQ(run.out, out);
  EXPECT_EQ(run.err, err);
  EXPECT_EQ(run.combined, combined);
}

// Output captured by a sink (instance logs) is a terminal to the guest, so
// libc line-buffers and stdout and stderr stay interleaved as written.
TEST(WasiStdio, CapturedOutputLooksLikeATerminal) {
  GuestRun run = run_guest("stdout_kind", WasiConfig{});
  EXPECT_EQ(run.out, "stdout type=2 tty=1\n");
}

TEST(WasiStdio, AMebibyteOfOutputArrivesWhole) {
  WasiConfig config;
  config.args = {"wasi_stdio", "big"};
  GuestRun run = run_guest("wasi_stdio", config);
  ASSERT_EQ(run.out.size(), size_t{1} << 20);
  for (size_t i = 0; i < run.out.size(); i += 4099) ASSERT_EQ(run.out[i], 'a' + (i % 777) % 26) << i;
}

// Iovecs may overlap: 1024 of them over one 64 KiB block are 64 MiB from a
// guest that has far less. A sink gets at most kMaxSinkWrite (1 MiB) of one
// fd_write, so the host never holds more, and the guest sees a short write;
// libc's fwrite goes on after a short write, so its 3 MiB arrive whole.
TEST(WasiStdio, OverlappingIovecsToASinkAreAShortWrite) {
  WasiConfig config;
  config.args = {"wasi_stdio", "overlap"};
  GuestRun run = run_guest("wasi_stdio", config);
  ASSERT_TRUE(run.outcome.returned()) << run.outcome.trap.to_string();
  EXPECT_EQ(run.err, "overlapping write errno=0 n=1048576\nfwrite 3 MiB=3145728\n");
  const size_t first = size_t{1} << 20, second = size_t{3} << 20;
  ASSERT_EQ(run.out.size(), first + second);
  EXPECT_EQ(run.out.find_first_not_of('o'), first);
  for (size_t i = 0; i < second; i += 4093) ASSERT_EQ(run.out[first + i], 'a' + i % 23) << i;
}

// The host's own stdout (no sink) on a pipe whose reader is gone: the
// guest's write fails with EPIPE and the host process lives on, whether
// SIGPIPE has its default action (wasmlet blocks it around each write) or
// is ignored (as by `wasmlet run` and the daemon: writes go straight out).
TEST(WasiStdio, AClosedHostStdoutIsEpipeForTheGuestWhateverSigpipeDoes) {
  TempDir dir;
  Engine engine;
  Module module = Module::from_file(engine, wasm_path("stdout_closed"));
  for (const auto disposition : {SIG_DFL, SIG_IGN}) {
    const char* const what = disposition == SIG_DFL ? "SIGPIPE's default action" : "SIGPIPE ignored";
    const auto err_path = dir / "stderr.txt";
    Outcome outcome;
    {
      ClosedStdoutPipe closed(err_path, disposition);
      Store store(engine);
      Linker linker;
      add_wasi_preview1(linker);
      WasiConfig config;
      config.args = {"stdout_closed"};
      attach_wasi(store, std::move(config));
      Instance instance = Instance::create(store, module, linker);
      outcome = instance.call("_start");
    }
    EXPECT_FALSE(sigpipe_pending()) << what << ": a SIGPIPE was left pending";
    ASSERT_TRUE(outcome.exited()) << what << ": " << outcome.trap.to_string();
    EXPECT_EQ(outcome.exit_code, 3) << what;
    EXPECT_EQ(read_file(err_path), "write failed: EPIPE=1\n") << what;
  }
}

// The host's own stdout is a blocking pipe that nobody reads: the guest's
// write of 1 MiB fills it, and the run's timeout still ends the guest.
TEST(WasiStdio, TimeoutEndsAWriteBlockedOnAFullHostStdout) {
  Engine engine;
  Module module = Module::from_file(engine, wasm_path("wasi_stdio"));
  Outcome outcome;
  std::chrono::steady_clock::duration elapsed{};
  {
    UnreadStdoutPipe unread;
    const auto t0 = std::chrono::steady_clock::now();
    {
      StoreLimits limits;
      limits.timeout = std::chrono::milliseconds(300);
      Store store(engine, limits);
      Linker linker;
      add_wasi_preview1(linker);
      WasiConfig config;
      config.args = {"wasi_stdio", "big"};
      attach_wasi(store, std::move(config));
      Instance instance = Instance::create(store, module, linker);
      outcome = instance.call("_start");
    }
    elapsed = std::chrono::steady_clock::now() - t0;
  }
  ASSERT_TRUE(outcome.trapped());
  EXPECT_EQ(outcome.trap.kind, TrapKind::DeadlineExceeded) << outcome.trap.to_string();
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

}  // namespace
}  // namespace wasmlet::testing
