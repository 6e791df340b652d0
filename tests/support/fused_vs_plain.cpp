#include "fused_vs_plain.h"

#include <algorithm>
#include <bit>
#include <optional>

#include "engine/fast/translator.h"
#include "wasmlet/engine.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

namespace wasmlet::testing {

namespace {

// Enough for loops to run a while, little enough to end every one quickly.
constexpr uint64_t kFuel = 200'000;

struct Observed {
  std::vector<std::string> calls;  // per call: "f0 -> ... (fuel n)"
  std::vector<uint8_t> memory;
};

std::string describe(const Outcome& o) {
  if (o.trapped()) return "trap " + std::to_string(int(o.trap.kind)) + " " + o.trap.to_string();
  if (o.exited()) return "exit " + std::to_string(o.exit_code);
  std::string s = "returned";
  for (const Value& v : o.results) {
    s += " " + v.to_string();
    // A NaN's bits too: its payload and sign must not depend on the translation.
    if (v.type() == ValType::F32) s += "/" + std::to_string(std::bit_cast<uint32_t>(v.as_f32()));
    if (v.type() == ValType::F64) s += "/" + std::to_string(std::bit_cast<uint64_t>(v.as_f64()));
  }
  return s;
}

// Translation happens lazily, on a function's first call, on this thread:
// the scope is open for the whole run.
Observed observe(const RandomProgram& program, bool plain) {
  static Engine engine(EngineConfig{.tier = Tier::Interpreter, .on_note = [](const std::string&) {}});
  std::optional<detail::fast::PlainTranslation> scope;
  if (plain) scope.emplace();
  const Module module = Module::compile(engine, program.wasm, "random.wasm");
  Store store(engine, StoreLimits{.max_memory_bytes = 1u << 20, .fuel = kFuel});
  Instance instance = Instance::create(store, module, Linker{});
  Observed seen;
  for (const RandomCall& call : program.calls) {
    const Outcome o = instance.call(call.export_name, call.args);
    seen.calls.push_back(call.export_name + " -> " + describe(o) + " (fuel " + std::to_string(store.fuel_consumed()) + ")");
  }
  const GuestMemory memory = instance.memory();
  const auto bytes = memory.bytes(0, memory.size());
  seen.memory.assign(bytes.begin(), bytes.end());
  return seen;
}

}  // namespace

std::string fused_vs_plain(const RandomProgram& program, std::vector<std::string>* calls) {
  const Observed fused = observe(program, false), plain = observe(program, true);
  if (calls) *calls = fused.calls;
  for (size_t i = 0; i < fused.calls.size(); ++i)
    if (fused.calls[i] != plain.calls[i]) return "call " + std::to_string(i) + ": " + fused.calls[i] + " | " + plain.calls[i];
  if (fused.memory.size() != plain.memory.size())
    return "memory size " + std::to_string(fused.memory.size()) + " | " + std::to_string(plain.memory.size());
  const auto diff = std::mismatch(fused.memory.begin(), fused.memory.end(), plain.memory.begin());
  if (diff.first != fused.memory.end())
    return "memory at " + std::to_string(diff.first - fused.memory.begin()) + ": " + std::to_string(*diff.first) +
           " | " + std::to_string(*diff.second);
  return "";
}

}  // namespace wasmlet::testing
