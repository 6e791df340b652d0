// Conversions between the engine's types and the wabt adapter's plain ones.
#pragma once

#include <array>
#include <cstring>
#include <string>

#include "engine/interp/wabt_interp.h"
#include "wasmlet/extern.h"
#include "wasmlet/outcome.h"
#include "wasmlet/value.h"

namespace wasmlet::detail {

inline constexpr uint64_t kPageSize = 65536;

inline Value to_value(const interp::RawValue& raw) {
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

inline interp::RawValue to_raw(const Value& v) {
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

inline FuncType func_type_of(const interp::Signature& sig) {
  FuncType type;
  for (auto t : sig.params) type.params.push_back(static_cast<ValType>(t));
  for (auto t : sig.results) type.results.push_back(static_cast<ValType>(t));
  return type;
}

// wabt's trap messages, mapped to the kinds every tier reports.
inline TrapKind trap_kind_from_message(const std::string& m) {
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

inline ExternType extern_type_of(const interp::XType& x) {
  ExternType t;
  t.kind = static_cast<ExternKind>(x.kind);
  t.func = func_type_of(x.signature);
  t.limits = Limits{x.min, x.max};
  t.value_type = static_cast<ValType>(x.value_type);
  t.mutable_global = x.mutable_global;
  return t;
}

}  // namespace wasmlet::detail
