// Micro-benchmarks of the engine API: compile, instantiate + call latency of
// a small module, and the cost of a call into the guest and back to the host.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "wasmlet/engine.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

using namespace wasmlet;

namespace {
std::filesystem::path fixture(const char* name) { return std::filesystem::path(WASM_DIR) / (std::string(name) + ".wasm"); }

Linker host_linker() {
  Linker linker;
  linker.define("host", "add_one", FuncType{{ValType::I32}, {ValType::I32}},
                [](Caller&, std::span<const Value> args, std::span<Value> results) {
                  results[0] = Value::i32(args[0].as_i32() + 1);
                });
  return linker;
}

void CompileSmallModule(benchmark::State& state) {
  Engine engine;
  for (auto _ : state) benchmark::DoNotOptimize(Module::from_file(engine, fixture("compute")));
}
BENCHMARK(CompileSmallModule);

void InstantiateAndCall(benchmark::State& state) {
  Engine engine;
  Module module = Module::from_file(engine, fixture("compute"));
  Linker linker = host_linker();
  std::vector<Value> args = {Value::i32(1), Value::i32(2)};
  for (auto _ : state) {
    Store store(engine);
    Instance inst = Instance::create(store, module, linker);
    benchmark::DoNotOptimize(inst.call("add", args));
  }
}
BENCHMARK(InstantiateAndCall);

void CallIntoGuest(benchmark::State& state) {
  Engine engine;
  Module module = Module::from_file(engine, fixture("compute"));
  Store store(engine);
  Instance inst = Instance::create(store, module, host_linker());
  std::vector<Value> args = {Value::i32(1), Value::i32(2)};
  for (auto _ : state) benchmark::DoNotOptimize(inst.call("add", args));
}
BENCHMARK(CallIntoGuest);

void CallGuestThatCallsHost(benchmark::State& state) {
  Engine engine;
  Module module = Module::from_file(engine, fixture("compute"));
  Store store(engine);
  Instance inst = Instance::create(store, module, host_linker());
  std::vector<Value> args = {Value::i32(1)};
  for (auto _ : state) benchmark::DoNotOptimize(inst.call("call_host", args));
}
BENCHMARK(CallGuestThatCallsHost);

void LoopMillionIterations(benchmark::State& state) {
  Engine engine;
  Module module = Module::from_file(engine, fixture("compute"));
  Store store(engine);
  Instance inst = Instance::create(store, module, host_linker());
  std::vector<Value> args = {Value::i32(1'000'000)};
  for (auto _ : state) benchmark::DoNotOptimize(inst.call("sum_to", args));
}
BENCHMARK(LoopMillionIterations)->Unit(benchmark::kMillisecond);
}  // namespace

BENCHMARK_MAIN();
