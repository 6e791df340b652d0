// Container start to first guest output with `ctr run`: a hello-world wasm
// image through wasmlet-oci (warm native-code cache) against runc starting a
// static native hello-world image, alternating, in the same private
// containerd. Not a ctest test: run build/bench/oci_start_bench as root.
//   build/bench/oci_start_bench [--gtest_filter=...]   (OCI_BENCH_RUNS=N, default 20)
#include <poll.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include <gtest/gtest.h>

#include "private_containerd.h"

namespace wasmlet::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds from spawning `argv` to the first byte on its stdout, and the exit status.
std::pair<double, int> time_to_first_output(const std::vector<std::string>& argv) {
  int out[2];
  if (pipe(out) != 0) return {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto start = Clock::now();
  pid_t pid = -1;
  posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  double first = -1;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;)
    if (first < 0) first = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {first, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

TEST(OciStartBench, WasmAgainstNativeHelloWorld) {
  if (std::string why = PrivateContainerd::missing(); !why.empty()) GTEST_SKIP() << why;
  int runs = std::getenv("OCI_BENCH_RUNS") ? std::atoi(std::getenv("OCI_BENCH_RUNS")) : 20;
  TempDir dir;
  PrivateContainerd containerd(dir, (dir / "cache").string());
  std::string wasm = "example.com/bench/hello:1", native = "example.com/bench/native-hello:1";
  containerd.import(build_wasm_image(dir, "hello_stdio", wasm));
  containerd.import(build_native_image(dir, native));
  // Warm up: the first wasm run compiles the module into the node cache.
  for (const std::string& image : {wasm, native}) ASSERT_EQ(containerd.run({}, image, "warmup").exit_code, 0);
  std::vector<double> wasm_ms, native_ms;
  for (int i = 0; i < runs; ++i) {
    auto [w, w_status] = time_to_first_output(containerd.run_argv({}, wasm, "bench-wasm"));
    auto [n, n_status] = time_to_first_output(containerd.run_argv({}, native, "bench-native"));
    ASSERT_EQ(w_status, 0);
    ASSERT_EQ(n_status, 0);
    wasm_ms.push_back(w);
    native_ms.push_back(n);
  }
  double w = median(wasm_ms), n = median(native_ms);
  std::cout << fmt::format("ctr run to first output, median of {} runs: wasm (wasmlet-oci, warm cache) {:.1f} ms, "
                           "native (runc, static) {:.1f} ms, ratio wasm/native {:.2f}\n", runs, w, n, w / n);
}

}  // namespace
}  // namespace wasmlet::testing
