// (a) A core module from arbitrary bytes, end to end in the interpreter tier:
// decode + validate (Module::compile), instantiate against WASI preview1 and
// stubs for every other function import, then run `_start` and every
// exported function (arguments zero) under a fuel budget, a 16 MiB memory
// limit and a per-call timeout. Bad bytes must be refused with a
// CompileError, unlinkable modules with a LinkError; anything the guest does
// ends as a return, an exit or a trap. The host never crashes.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"
#include "wasmlet/wasi.h"
#include "zero_stubs.h"

using namespace wasmlet;

namespace {

Engine& engine() {
  static Engine e(EngineConfig{.tier = Tier::Interpreter, .on_note = [](const std::string&) {}});
  return e;
}

// WASI, and for every other function import a stub returning zeros.
Linker linker_for(const Module& module) {
  Linker linker;
  add_wasi_preview1(linker);
  testing::define_zero_stubs(linker, module);
  return linker;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::optional<Module> module;
  try {
    module = Module::compile(engine(), {data, size}, "fuzz.wasm");
  } catch (const CompileError&) {
    return 0;
  }
  Store store(engine(), StoreLimits{.max_memory_bytes = 16u << 20, .fuel = 200'000, .timeout = std::chrono::seconds(2)});
  attach_wasi(store, WasiConfig{.args = {"fuzz.wasm"}, .output = [](OutputStream, std::span<const uint8_t>) {}});
  std::optional<Instance> instance;
  try {
    instance.emplace(Instance::create(store, *module, linker_for(*module)));
  } catch (const LinkError&) {
    return 0;
  }
  if (!instance->start_outcome().returned()) return 0;
  for (const ExportInfo& e : module->exports()) {
    if (e.kind != ExternKind::Func) continue;
    std::vector<Value> args;
    for (ValType t : e.type.params) args.push_back(Value::zero(t));
    (void)instance->call(e.name, args);
  }
  return 0;
}
