// The interpreter tier: wabt's spec interpreter (behind wabt_interp.h)
// running the metered binary. Instant start and no compiler needed; about
// two orders of magnitude slower than native code (the AOT tier is the fast one).
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "engine/interp/wabt_interp.h"
#include "engine/metering.h"
#include "engine/tier.h"
#include "wasmlet/error.h"
#include "wasmlet/linker.h"
#include "wasmlet/store.h"

namespace wasmlet::detail {

namespace {

constexpr uint64_t kPageSize = 65536;

Value to_value(const interp::RawValue& raw) {
  const auto type = static_cast<ValType>(raw.type);
  switch (type) {
    case ValType::I32: { int32_t x; std::memcpy(&x, raw.bits, 4); return Value::i32(x); }
    case ValType::I64: { int64_t x; std::memcpy(&x, raw.bits, 8); return Value::i64(x); }
    case ValType::F32: { float x; std::memcpy(&x, raw.bits, 4); return Value::f32(x); }
    case ValType::F64: { double x; std::memcpy(&x, raw.bits, 8); return Value::f64(x); }
    case ValType::V128: { std::array<uint8_t, 16> x; std::memcpy(x.data(), raw.bits, 16); return Value::v128(x); }
    case ValType::FuncRef:
    case ValType::ExternRef: { uint64_t x; std::memcpy(&x, raw.bits, 8); return Value::ref(type, x); }
  }
  return Value();
}

interp::RawValue to_raw(const Value& v) {
  interp::RawValue raw;
  raw.type = static_cast<interp::VType>(v.type());
  switch (v.type()) {
    case ValType::I32: { int32_t x = v.as_i32(); std::memcpy(raw.bits, &x, 4); break; }
    case ValType::I64: { int64_t x = v.as_i64(); std::memcpy(raw.bits, &x, 8); break; }
    case ValType::F32: { float x = v.as_f32(); std::memcpy(raw.bits, &x, 4); break; }
    case ValType::F64: { double x = v.as_f64(); std::memcpy(raw.bits, &x, 8); break; }
    case ValType::V128: { auto x = v.as_v128(); std::memcpy(raw.bits, x.data(), 16); break; }
    case ValType::FuncRef:
    case ValType::ExternRef: { uint64_t x = v.as_ref(); std::memcpy(raw.bits, &x, 8); break; }
  }
  return raw;
}

FuncType func_type_of(const interp::Signature& sig) {
  FuncType type;
  for (auto t : sig.params) type.params.push_back(static_cast<ValType>(t));
  for (auto t : sig.results) type.results.push_back(static_cast<ValType>(t));
  return type;
}

// wabt's trap messages, mapped to the kinds every tier reports.
TrapKind trap_kind_from_message(const std::string& m) {
  auto starts = [&](const char* prefix) { return m.rfind(prefix, 0) == 0; };
  if (starts("unreachable")) return TrapKind::Unreachable;
  if (starts("out of bounds memory access")) return TrapKind::MemoryOutOfBounds;
  if (starts("out of bounds table access") || starts("undefined table index")) return TrapKind::TableOutOfBounds;
  if (starts("integer divide by zero")) return TrapKind::IntegerDivideByZero;
  if (starts("integer overflow")) return TrapKind::IntegerOverflow;
  if (starts("invalid conversion")) return TrapKind::InvalidConversion;
  if (starts("indirect call signature mismatch")) return TrapKind::IndirectCallTypeMismatch;
  if (starts("uninitialized table element")) return TrapKind::UninitializedElement;
  if (starts("call stack exhausted") || starts("value stack exhausted")) return TrapKind::StackExhausted;
  if (m.find("null") != std::string::npos) return TrapKind::NullReference;
  return TrapKind::Other;
}

class InterpInstance final : public TierInstance, public MemorySource {
 public:
  InterpInstance(Store& store, const Module& module, const Linker& linker, const interp::DecodedModule& decoded)
      : store_(store), module_(module) {
    std::vector<interp::HostCallback> callbacks;
    for (const auto& import : decoded.imports()) callbacks.push_back(resolve_import(import, linker));
    interp::CallResult start;
    machine_ = interp::Machine::instantiate(decoded, std::move(callbacks), memory_caps(decoded), start);
    if (!start.ok) {
      start_ = outcome_from_failure(start);
      failed_start_ = true;
      return;
    }
    note_memory();
  }

  Outcome call(const ExportInfo& function, std::span<const Value> args) override {
    if (failed_start_) return start_;
    std::vector<interp::RawValue> raw_args;
    for (const auto& a : args) raw_args.push_back(to_raw(a));
    interp::Signature sig;
    for (auto t : function.type.results) sig.results.push_back(static_cast<interp::VType>(t));
    DeadlineScope deadline(store_);
    interp::CallResult result = machine_->call(function.name, raw_args, sig);
    if (auto budget = machine_->global_value(kBudgetExport)) settle_fuel(store_, static_cast<int64_t>(*budget));
    note_memory();
    if (!result.ok) return outcome_from_failure(result);
    Outcome outcome;
    for (const auto& r : result.results) outcome.results.push_back(to_value(r));
    return outcome;
  }

  GuestMemory memory() override {
    if (failed_start_) return {};
    return GuestMemory(machine_->memory_data(), machine_->memory_size());
  }
  const Outcome& start_outcome() const override { return start_; }
  const Module& module() const override { return module_; }

 private:
  // Each memory may grow to the Store's limit minus what the others need at
  // start. A refused memory.grow returns -1, as the spec requires.
  std::vector<std::optional<uint64_t>> memory_caps(const interp::DecodedModule& decoded) {
    auto limit = store_.limits().max_memory_bytes;
    auto initial = decoded.memory_initial_pages();
    std::vector<std::optional<uint64_t>> caps(initial.size());
    if (!limit) return caps;
    uint64_t limit_pages = *limit / kPageSize, initial_total = 0;
    for (auto pages : initial) initial_total += pages;
    if (initial_total > limit_pages)
      throw LinkError(fmt::format("{}: needs {} bytes of linear memory at start, more than the memory limit of {} bytes",
                                  module_.name(), initial_total * kPageSize, *limit));
    for (size_t i = 0; i < initial.size(); ++i) caps[i] = limit_pages - (initial_total - initial[i]);
    return caps;
  }

  interp::HostCallback resolve_import(const interp::ImportRequest& import, const Linker& linker) {
    const std::string qualified = import.module + "." + import.name;
    if (import.kind != "func")
      throw LinkError(fmt::format("{}: imports {} '{}', but wasmlet provides only host functions", module_.name(),
                                  import.kind, qualified));
    if (import.module == kMeterModule && import.name == kRefuelName)
      return wrap(qualified, [this](std::span<const Value> args, std::span<Value> results) {
        results[0] = Value::i64(refuel(store_, args[0].as_i64()));
      });
    FuncType wanted = func_type_of(import.signature);
    const HostDefinition* def = linker.find(import.module, import.name);
    if (!def)
      throw LinkError(fmt::format("{}: unknown import: function {} {} is not provided by the host", module_.name(),
                                  qualified, wanted.to_string()));
    if (def->type != wanted)
      throw LinkError(fmt::format("{}: import {} has type {}, but the host function has type {}", module_.name(),
                                  qualified, wanted.to_string(), def->type.to_string()));
    // The function is copied: an instance may outlive the linker it was made with.
    return wrap(qualified, [this, function = def->function, qualified](std::span<const Value> args, std::span<Value> results) {
      Caller caller(store_, *this, qualified);
      function(caller, args, results);
    });
  }

  // Converts values and turns every way a host function can end the guest
  // into a trap that remembers why (exit code, host error, limit).
  interp::HostCallback wrap(std::string name, std::function<void(std::span<const Value>, std::span<Value>)> body) {
    return [this, name = std::move(name), body = std::move(body)](const std::vector<interp::RawValue>& in,
                                                                  std::vector<interp::RawValue>& out,
                                                                  std::string& trap_message) {
      std::vector<Value> args, results;
      args.reserve(in.size());
      for (const auto& r : in) args.push_back(to_value(r));
      for (const auto& r : out) results.push_back(to_value(r));
      try {
        body(args, results);
      } catch (const HostExit& e) {
        pending_exit_ = e.code;
        trap_message = "exit";
        return false;
      } catch (const HostTrap& e) {
        pending_trap_ = TrapInfo{TrapKind::HostError, e.message, {}};
      } catch (const MeterTrap& e) {
        pending_trap_ = TrapInfo{e.kind, e.message, {}};
      } catch (const std::exception& e) {
        pending_trap_ = TrapInfo{TrapKind::HostError, fmt::format("{}: {}", name, e.what()), {}};
      }
      if (pending_trap_) {
        trap_message = pending_trap_->message;
        return false;
      }
      for (size_t i = 0; i < results.size(); ++i) out[i] = to_raw(results[i]);
      return true;
    };
  }

  void note_memory() {
    store_.set_memory_bytes(machine_->total_memory_bytes());
    auto refused = machine_->global_value(kGrowRefusedExport);
    if (store_.limits().max_memory_bytes && refused && *refused != 0) store_.note_memory_limit_hit();
  }

  Outcome outcome_from_failure(const interp::CallResult& result) {
    Outcome outcome;
    if (pending_exit_) {
      outcome.kind = Outcome::Kind::Exited;
      outcome.exit_code = *pending_exit_;
      pending_exit_.reset();
      return outcome;
    }
    outcome.kind = Outcome::Kind::Trapped;
    if (pending_trap_) {
      outcome.trap = std::move(*pending_trap_);
      pending_trap_.reset();
    } else {
      outcome.trap.message = result.trap_message;
      outcome.trap.kind = trap_kind_from_message(result.trap_message);
    }
    const auto& names = module_.impl().function_names;
    if (result.trap_function >= 0) {
      auto index = static_cast<size_t>(result.trap_function);
      if (index < names.size()) outcome.trap.function = names[index];
    }
    return outcome;
  }

  Store& store_;
  Module module_;
  std::unique_ptr<interp::Machine> machine_;
  std::optional<int> pending_exit_;
  std::optional<TrapInfo> pending_trap_;
  Outcome start_;
  bool failed_start_ = false;
};

class InterpModule final : public TierModule {
 public:
  explicit InterpModule(const ModuleImpl& module) {
    std::string error;
    decoded_ = interp::DecodedModule::decode(module.name, module.metered.data(), module.metered.size(), error);
    if (!decoded_) throw CompileError(fmt::format("{}: the interpreter rejected the module: {}", module.name, error));
  }

  std::unique_ptr<TierInstance> instantiate(Store& store, const Module& module, const Linker& linker) const override {
    return std::make_unique<InterpInstance>(store, module, linker, *decoded_);
  }

 private:
  std::shared_ptr<const interp::DecodedModule> decoded_;
};

}  // namespace

std::shared_ptr<const TierModule> compile_interp(const ModuleImpl& module) {
  return std::make_shared<InterpModule>(module);
}

}  // namespace wasmlet::detail
