// Calls per second of a tiny JSON echo plugin with a fresh instance per call
// (the plugin host's default), per core, compared with Node.js doing the same
// with the WebAssembly JS API in the same run (bench/plugin/node_echo.mjs).
//
//   build/bench/plugin_bench [--seconds 3] [--threads 1] [--no-node] [--wasm PATH]
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "wasmlet/plugin.h"

using namespace wasmlet;
using Clock = std::chrono::steady_clock;

namespace {

struct Result {
  uint64_t calls = 0;
  double seconds = 0;
  double per_sec() const { return seconds > 0 ? calls / seconds : 0; }
};

Result measure(const Plugin& plugin, double seconds, int threads) {
  const std::string input = R"({"hello":"world","n":42,"list":[1,2,3]})";
  for (int i = 0; i < 50; ++i) plugin.call_json("execute", input);  // warm-up
  std::atomic<uint64_t> calls{0};
  auto start = Clock::now();
  auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      uint64_t mine = 0;
      while (Clock::now() < end) {
        for (int i = 0; i < 20; ++i) {
          if (plugin.call_json("execute", input) != input) std::abort();
        }
        mine += 20;
      }
      calls += mine;
    });
  }
  for (auto& t : pool) t.join();
  return {calls.load(), std::chrono::duration<double>(Clock::now() - start).count()};
}

std::optional<double> node_calls_per_sec(const std::string& wasm, double seconds, std::string* line) {
  std::string cmd = fmt::format("node '{}' '{}' {} 2>&1", NODE_SCRIPT, wasm, seconds);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  char buf[4096];
  std::string out;
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = ::pclose(p);
  *line = out;
  if (rc != 0) return std::nullopt;
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded() || !j.contains("calls_per_sec")) return std::nullopt;
  return j["calls_per_sec"].get<double>();
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int threads = 1;
  bool node = true;
  std::string wasm = ECHO_WASM;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) seconds = std::stod(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) threads = std::stoi(argv[++i]);
    else if (a == "--no-node") node = false;
    else if (a == "--wasm" && i + 1 < argc) wasm = argv[++i];
    else {
      std::fprintf(stderr, "usage: plugin_bench [--seconds S] [--threads N] [--no-node] [--wasm PATH]\n");
      return 2;
    }
  }
  EngineConfig engine_config;  // the default tier of this build
  PluginHost host(engine_config);
  auto fresh = host.load_file(wasm);
  PluginOptions warm_options;
  warm_options.keep_warm = true;
  warm_options.name = "echo-warm";
  auto warm = host.load_file(wasm, warm_options);

  fmt::print("plugin_bench: echo plugin {}, tier {}, {} s, {} thread(s)\n", wasm,
             engine_config.tier == Tier::Interpreter ? "interpreter" : "aot", seconds, threads);
  Result f = measure(*fresh, seconds, threads);
  fmt::print("wasmlet fresh instance per call : {:>10.0f} calls/s ({:.0f} per thread, {:.1f} us/call)\n", f.per_sec(),
             f.per_sec() / threads, 1e6 * threads / f.per_sec());
  Result w = measure(*warm, seconds, 1);
  fmt::print("wasmlet warm instance            : {:>10.0f} calls/s ({:.1f} us/call)\n", w.per_sec(), 1e6 / w.per_sec());
  if (node) {
    std::string line;
    auto n = node_calls_per_sec(wasm, seconds, &line);
    if (!n) {
      fmt::print("node: failed: {}\n", line);
      return 1;
    }
    fmt::print("node fresh instance per call     : {:>10.0f} calls/s ({:.1f} us/call)\n", *n, 1e6 / *n);
    fmt::print("ratio wasmlet/node (per thread)  : {:.2f}x\n", (f.per_sec() / threads) / *n);
  }
  fmt::print("target: >= 20000 calls/s per core on the AOT tier\n");
  return 0;
}
