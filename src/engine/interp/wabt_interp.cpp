// Compiled as C++17: see wabt_interp.h.
#include "engine/interp/wabt_interp.h"

#include <wabt/binary-reader.h>
#include <wabt/error-formatter.h>
#include <wabt/feature.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/interp/interp.h>

#include <cstring>

#include "engine/interp/private_access.h"

namespace wasmlet::detail::interp {

namespace {

namespace wi = wabt::interp;

VType from_wabt(wabt::Type t) {
  switch (t) {
    case wabt::Type::I32: return VType::I32;
    case wabt::Type::I64: return VType::I64;
    case wabt::Type::F32: return VType::F32;
    case wabt::Type::F64: return VType::F64;
    case wabt::Type::V128: return VType::V128;
    case wabt::Type::FuncRef: return VType::FuncRef;
    default: return VType::ExternRef;
  }
}

Signature signature_of(const wi::FuncType& type) {
  Signature sig;
  for (auto t : type.params) sig.params.push_back(from_wabt(t));
  for (auto t : type.results) sig.results.push_back(from_wabt(t));
  return sig;
}

RawValue to_raw(const wi::Value& v, VType type) {
  RawValue r;
  r.type = type;
  switch (type) {
    case VType::I32: { wi::u32 x = v.Get<wi::u32>(); std::memcpy(r.bits, &x, 4); break; }
    case VType::I64: { wi::u64 x = v.Get<wi::u64>(); std::memcpy(r.bits, &x, 8); break; }
    case VType::F32: { wi::f32 x = v.Get<wi::f32>(); std::memcpy(r.bits, &x, 4); break; }
    case VType::F64: { wi::f64 x = v.Get<wi::f64>(); std::memcpy(r.bits, &x, 8); break; }
    case VType::V128: { ::v128 x = v.Get<::v128>(); std::memcpy(r.bits, &x, 16); break; }
    case VType::FuncRef:
    case VType::ExternRef: { uint64_t x = v.Get<wi::Ref>().index; std::memcpy(r.bits, &x, 8); break; }
  }
  return r;
}

wi::Value from_raw(const RawValue& r) {
  switch (r.type) {
    case VType::I32: { wi::u32 x; std::memcpy(&x, r.bits, 4); return wi::Value::Make(x); }
    case VType::I64: { wi::u64 x; std::memcpy(&x, r.bits, 8); return wi::Value::Make(x); }
    case VType::F32: { wi::f32 x; std::memcpy(&x, r.bits, 4); return wi::Value::Make(x); }
    case VType::F64: { wi::f64 x; std::memcpy(&x, r.bits, 8); return wi::Value::Make(x); }
    case VType::V128: { ::v128 x; std::memcpy(&x, r.bits, 16); return wi::Value::Make(x); }
    case VType::FuncRef:
    case VType::ExternRef: { uint64_t x; std::memcpy(&x, r.bits, 8); return wi::Value::Make(wi::Ref(x)); }
  }
  return wi::Value::Make(wi::u32(0));
}

class WabtDecodedModule final : public DecodedModule {
 public:
  wi::ModuleDesc desc;

  std::vector<ImportRequest> imports() const override {
    std::vector<ImportRequest> out;
    for (const auto& import : desc.imports) {
      ImportRequest req{import.type.module, import.type.name, wi::GetName(import.type.type->kind), {}};
      if (auto* f = wabt::dyn_cast<wi::FuncType>(import.type.type.get())) req.signature = signature_of(*f);
      out.push_back(std::move(req));
    }
    return out;
  }
  std::vector<uint64_t> memory_initial_pages() const override {
    std::vector<uint64_t> pages;
    for (const auto& m : desc.memories) pages.push_back(m.type.limits.initial);
    return pages;
  }
};

class WabtMachine final : public Machine {
 public:
  explicit WabtMachine(const wabt::Features& features) : store_(features) {}

  bool instantiate(const WabtDecodedModule& decoded, std::vector<HostCallback> callbacks,
                   const std::vector<std::optional<uint64_t>>& max_pages, CallResult& start) {
    wi::ModuleDesc desc = decoded.desc;
    for (size_t i = 0; i < desc.memories.size() && i < max_pages.size(); ++i) {
      auto& limits = desc.memories[i].type.limits;
      if (max_pages[i] && (!limits.has_max || limits.max > *max_pages[i])) {
        limits.max = *max_pages[i];
        limits.has_max = true;
      }
    }
    module_ = wi::Module::New(store_, std::move(desc));
    wi::RefVec imports;
    const auto& import_types = module_->import_types();
    for (size_t i = 0; i < import_types.size(); ++i) {
      auto* ftype = wabt::cast<wi::FuncType>(import_types[i].type.get());
      Signature sig = signature_of(*ftype);
      HostCallback cb = std::move(callbacks[i]);
      auto host = wi::HostFunc::New(
          store_, *ftype,
          [this, sig, cb](wi::Thread& thread, const wi::Values& in, wi::Values& out, wi::Trap::Ptr* out_trap) {
            std::vector<RawValue> args, results;
            for (size_t k = 0; k < in.size(); ++k) args.push_back(to_raw(in[k], sig.params[k]));
            for (auto t : sig.results) results.push_back(RawValue{t, {}});
            std::string message;
            if (!cb(args, results, message)) {
              *out_trap = wi::Trap::New(store_, message, thread_frames(thread));
              return wabt::Result::Error;
            }
            for (size_t k = 0; k < results.size(); ++k) out[k] = from_raw(results[k]);
            return wabt::Result::Ok;
          });
      imports.push_back(host.ref());
    }
    wi::Trap::Ptr trap;
    instance_ = wi::Instance::Instantiate(store_, module_.ref(), imports, &trap);
    if (!instance_) {
      start.ok = false;
      start.trap_message = trap ? trap->message() : "instantiation failed";
      if (trap) start.trap_function = innermost(trap_trace(*trap));
      return false;
    }
    const auto& exports = module_->desc().exports;
    for (size_t i = 0; i < exports.size(); ++i) {
      const auto& e = exports[i];
      wi::Ref ref = instance_->exports()[i];
      switch (e.type.type->kind) {
        case wabt::ExternalKind::Func: funcs_.emplace_back(e.type.name, ref); break;
        case wabt::ExternalKind::Global: globals_.emplace_back(e.type.name, ref); break;
        case wabt::ExternalKind::Memory:
          if (e.type.name == "memory") memory_ = store_.UnsafeGet<wi::Memory>(ref);
          break;
        default: break;
      }
    }
    if (!memory_ && !instance_->memories().empty()) memory_ = store_.UnsafeGet<wi::Memory>(instance_->memories()[0]);
    return true;
  }

  CallResult call(const std::string& export_name, const std::vector<RawValue>& args,
                  const Signature& signature) override {
    CallResult result;
    wi::Func::Ptr func;
    for (auto& [name, ref] : funcs_)
      if (name == export_name) func = store_.UnsafeGet<wi::Func>(ref);
    if (!func) {
      result.ok = false;
      result.trap_message = "no exported function '" + export_name + "'";
      return result;
    }
    wi::Values params, results;
    for (const auto& a : args) params.push_back(from_raw(a));
    wi::Trap::Ptr trap;
    if (wabt::Failed(func->Call(store_, params, results, &trap))) {
      result.ok = false;
      result.trap_message = trap->message();
      result.trap_function = innermost(trap_trace(*trap));
      return result;
    }
    for (size_t i = 0; i < results.size(); ++i) result.results.push_back(to_raw(results[i], signature.results[i]));
    return result;
  }

  uint8_t* memory_data() override { return memory_ ? memory_->UnsafeData() : nullptr; }
  uint64_t memory_size() override { return memory_ ? memory_->ByteSize() : 0; }
  uint64_t total_memory_bytes() override {
    uint64_t total = 0;
    if (instance_)
      for (wi::Ref ref : instance_->memories()) total += store_.UnsafeGet<wi::Memory>(ref)->ByteSize();
    return total;
  }
  std::optional<uint64_t> global_value(const std::string& export_name) override {
    for (auto& [name, ref] : globals_) {
      if (name != export_name) continue;
      wi::Global::Ptr g = store_.UnsafeGet<wi::Global>(ref);
      wi::Value v = g->Get();
      return g->type().type == wabt::Type::I64 ? v.Get<wi::u64>() : uint64_t(v.Get<wi::u32>());
    }
    return std::nullopt;
  }

 private:
  // The trace runs outermost to innermost. Host functions have frames too;
  // report the innermost guest function, as its index in the function space
  // (found by its code offset, which works even if instantiation failed).
  int64_t innermost(const std::vector<wi::Frame>& trace) {
    if (!module_) return -1;
    const auto& desc = module_->desc();
    int64_t imported = 0;
    for (const auto& import : desc.imports)
      if (import.type.type->kind == wabt::ExternalKind::Func) ++imported;
    for (auto frame = trace.rbegin(); frame != trace.rend(); ++frame) {
      if (!store_.Is<wi::DefinedFunc>(frame->func)) continue;
      auto offset = store_.UnsafeGet<wi::DefinedFunc>(frame->func)->desc().code_offset;
      for (size_t i = 0; i < desc.funcs.size(); ++i)
        if (desc.funcs[i].code_offset == offset) return imported + static_cast<int64_t>(i);
    }
    return -1;
  }

  wi::Store store_;
  wi::Module::Ptr module_;
  wi::Instance::Ptr instance_;
  wi::Memory::Ptr memory_;
  std::vector<std::pair<std::string, wi::Ref>> funcs_, globals_;
};

const wabt::Features& features() {
  // wabt's defaults are the finished proposals: mutable globals, saturating
  // float-to-int, sign extension, SIMD, multi-value, bulk memory, reference types.
  static const wabt::Features f;
  return f;
}

}  // namespace

std::shared_ptr<const DecodedModule> DecodedModule::decode(const std::string& name, const uint8_t* data, size_t size,
                                                           std::string& error) {
  auto module = std::make_shared<WabtDecodedModule>();
  wabt::Errors errors;
  wabt::ReadBinaryOptions options(features(), nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true, /*fail_on_custom_section_error=*/false);
  if (wabt::Failed(wi::ReadBinaryInterp(name, data, size, options, &errors, &module->desc))) {
    error = wabt::FormatErrorsToString(errors, wabt::Location::Type::Binary);
    return nullptr;
  }
  return module;
}

std::unique_ptr<Machine> Machine::instantiate(const DecodedModule& module, std::vector<HostCallback> imports,
                                              const std::vector<std::optional<uint64_t>>& max_pages_per_memory,
                                              CallResult& start) {
  auto machine = std::make_unique<WabtMachine>(features());
  machine->instantiate(static_cast<const WabtDecodedModule&>(module), std::move(imports), max_pages_per_memory, start);
  return machine;
}

}  // namespace wasmlet::detail::interp
