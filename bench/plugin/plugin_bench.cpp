// Calls per second of a tiny JSON echo plugin with a fresh instance per call
// (the plugin host's default) and with a warm instance, per core, in the
// interpreter and the AOT tier, compared with Node.js doing the same with the
// WebAssembly JS API in the same run (bench/plugin/node_echo.mjs).
//
//   build/bench/plugin_bench [--tier interp|aot|both] [--seconds 3] [--threads 1]
//                            [--no-node] [--wasm PATH] [--cache-dir DIR] [--phases N]
//
// --phases N: instead of the table, times each phase of N fresh-instance calls
// (the steps PluginImpl::run takes, through the same engine API), per tier.
//
// --tier both (the default) measures both tiers. The AOT tier compiles the
// plugin once into its artifact cache (--cache-dir, else $WASMLET_CACHE_DIR,
// else ~/.cache/wasmlet); compilation is not part of the measurement.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "plugin/abi.h"
#include "util/utf8.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/plugin.h"
#include "wasmlet/store.h"

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

std::string load_average() {
  double l[3];
  if (::getloadavg(l, 3) != 3) return "unknown";
  return fmt::format("{:.2f} {:.2f} {:.2f}", l[0], l[1], l[2]);
}

// Times the phases of a fresh-instance call, as PluginImpl::run performs
// them (src/plugin/plugin.cpp), averaged over n calls.
void time_phases(Tier tier, const std::string& cache_dir, const std::string& wasm_path, int n) {
  EngineConfig config;
  config.tier = tier;
  config.cache_dir = cache_dir;
  Engine engine(config);
  std::ifstream in(wasm_path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Module module = Module::compile(engine, bytes, "echo");
  Linker linker;
  plugin::add_plugin_abi(linker);
  const PluginLimits limits;
  const Capabilities caps;
  const PluginLogSink log;
  const bool has_initialize = module.find_export("_initialize") != nullptr;
  const std::string input = R"({"hello":"world","n":42,"list":[1,2,3]})";
  const char* names[] = {"input checks (UTF-8, JSON)", "Store()", "call context", "Instance::create",
                         "_initialize", "execute", "output checks (UTF-8, JSON)", "~Instance", "~Store"};
  constexpr int kPhases = 9;
  double total[kPhases] = {};
  auto run = [&](bool record) {
    Clock::time_point t[kPhases + 1];
    t[0] = Clock::now();
    std::span<const uint8_t> in_bytes(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    if (!util::valid_utf8(in_bytes) || !(plugin::surely_valid_json(in_bytes) || nlohmann::json::accept(input)))
      std::abort();
    t[1] = Clock::now();
    auto store = std::make_unique<Store>(engine, StoreLimits{.max_memory_bytes = limits.max_memory_bytes,
                                                             .fuel = std::nullopt,
                                                             .timeout = limits.timeout});
    t[2] = Clock::now();
    auto ctx = std::make_shared<plugin::CallContext>();
    ctx->plugin = "echo";
    ctx->capabilities = &caps;
    ctx->limits = &limits;
    ctx->log = &log;
    store->set_host_state(ctx);
    ctx->export_name = "execute";
    ctx->reset(std::vector<uint8_t>(input.begin(), input.end()));
    t[3] = Clock::now();
    std::optional<Instance> inst;
    inst.emplace(Instance::create(*store, module, linker));
    t[4] = Clock::now();
    if (has_initialize && !inst->call("_initialize").returned()) std::abort();
    t[5] = Clock::now();
    Outcome o = inst->call("execute");
    if (!o.returned() || o.results.at(0).as_i32() != 0) std::abort();
    t[6] = Clock::now();
    std::vector<uint8_t> out = std::move(ctx->output);
    if (!util::valid_utf8(out) || !(plugin::surely_valid_json(out) || nlohmann::json::accept(out.begin(), out.end())))
      std::abort();
    t[7] = Clock::now();
    inst.reset();
    t[8] = Clock::now();
    store.reset();
    t[9] = Clock::now();
    if (record)
      for (int i = 0; i < kPhases; ++i) total[i] += std::chrono::duration<double, std::micro>(t[i + 1] - t[i]).count();
  };
  for (int i = 0; i < 200; ++i) run(false);
  for (int i = 0; i < n; ++i) run(true);
  double sum = 0;
  for (double v : total) sum += v;
  fmt::print("\nphases of a fresh-instance call, {} tier, mean of {} calls:\n", tier == Tier::Aot ? "AOT" : "interp", n);
  for (int i = 0; i < kPhases; ++i)
    fmt::print("  {:<28} {:>8.2f} us  {:>5.1f}%\n", names[i], total[i] / n, 100 * total[i] / sum);
  fmt::print("  {:<28} {:>8.2f} us  ({:.0f} calls/s)\n", "total", sum / n, 1e6 * n / sum);
}

struct Row {
  std::string label;
  double per_sec = 0;  // per thread
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int threads = 1;
  bool node = true;
  std::string wasm = ECHO_WASM;
  std::string tier_arg = "both";
  std::string cache_dir;
  int phases = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) seconds = std::stod(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) threads = std::stoi(argv[++i]);
    else if (a == "--no-node") node = false;
    else if (a == "--wasm" && i + 1 < argc) wasm = argv[++i];
    else if (a == "--tier" && i + 1 < argc) tier_arg = argv[++i];
    else if (a == "--cache-dir" && i + 1 < argc) cache_dir = argv[++i];
    else if (a == "--phases" && i + 1 < argc) phases = std::stoi(argv[++i]);
    else {
      std::fprintf(stderr,
                   "usage: plugin_bench [--tier interp|aot|both] [--seconds S] [--threads N] [--no-node] [--wasm PATH] "
                   "[--cache-dir DIR] [--phases N]\n");
      return 2;
    }
  }
  std::vector<Tier> tiers;
  if (tier_arg == "both") tiers = {Tier::Interpreter, Tier::Aot};
  else if (auto t = parse_tier(tier_arg); t && *t != Tier::Auto) tiers = {*t};
  else {
    std::fprintf(stderr, "plugin_bench: --tier must be interp, aot or both, not '%s'\n", tier_arg.c_str());
    return 2;
  }

  if (phases > 0) {
    fmt::print("plugin_bench: echo plugin {}, load average before: {}\n", wasm, load_average());
    for (Tier tier : tiers) time_phases(tier, cache_dir, wasm, phases);
    fmt::print("load average after: {}\n", load_average());
    return 0;
  }
  fmt::print("plugin_bench: echo plugin {}, {} s per row, {} thread(s), load average before: {}\n", wasm, seconds,
             threads, load_average());
  std::vector<Row> rows;
  std::optional<double> interp_fresh, aot_fresh;
  for (Tier tier : tiers) {
    const char* tier_label = tier == Tier::Aot ? "AOT" : "interp";
    EngineConfig config;
    config.tier = tier;
    config.cache_dir = cache_dir;
    std::string fallback;
    config.on_note = [&](const std::string& note) { fallback = note; };
    PluginHost host(config);
    auto load_start = Clock::now();
    auto fresh = host.load_file(wasm);
    const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - load_start).count();
    if (!fallback.empty()) {
      fmt::print("{}: {}\n", tier_label, fallback);
      if (tier == Tier::Aot) {
        fmt::print("AOT: the plugin does not run natively; no AOT rows\n");
        continue;
      }
    }
    fmt::print("{}: plugin loaded in {:.0f} ms{}\n", tier_label, load_ms,
               tier == Tier::Aot ? " (compile, or cache lookup + dlopen)" : "");
    PluginOptions warm_options;
    warm_options.keep_warm = true;
    warm_options.name = "echo-warm";
    auto warm = host.load_file(wasm, warm_options);

    Result f = measure(*fresh, seconds, threads);
    rows.push_back({fmt::format("wasmlet {} fresh instance per call", tier_label), f.per_sec() / threads});
    (tier == Tier::Aot ? aot_fresh : interp_fresh) = f.per_sec() / threads;
    Result w = measure(*warm, seconds, 1);
    rows.push_back({fmt::format("wasmlet {} warm instance", tier_label), w.per_sec()});
  }
  std::optional<double> node_fresh;
  if (node) {
    std::string line;
    node_fresh = node_calls_per_sec(wasm, seconds, &line);
    if (!node_fresh) {
      fmt::print("node: failed: {}\n", line);
      return 1;
    }
    rows.push_back({"node fresh instance per call", *node_fresh});
  }

  fmt::print("\n| {:<38} | {:>12} | {:>9} |{}\n", "per thread", "calls/s", "us/call", node_fresh ? " vs node fresh |" : "");
  fmt::print("| {:-<38} | {:->12} | {:->9} |{}\n", "", "", "", node_fresh ? " ---: |" : "");
  for (const auto& r : rows) {
    fmt::print("| {:<38} | {:>12.0f} | {:>9.1f} |", r.label, r.per_sec, 1e6 / r.per_sec);
    if (node_fresh) fmt::print(" {:.2f}x |", r.per_sec / *node_fresh);
    fmt::print("\n");
  }
  if (interp_fresh && aot_fresh) fmt::print("\nAOT fresh / interp fresh: {:.2f}x\n", *aot_fresh / *interp_fresh);
  fmt::print("load average after: {}\n", load_average());
  if (aot_fresh) {
    fmt::print("target: >= 20000 calls/s per core on the AOT tier with a fresh instance per call: {}\n",
               *aot_fresh >= 20000 ? "met" : "NOT met");
  }
  return 0;
}
