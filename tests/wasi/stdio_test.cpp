// stdin from a file (or empty), stdout/stderr to the OutputSink in order.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace wasmlet::testing
