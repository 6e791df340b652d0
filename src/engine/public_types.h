// The public API's view of the decoder's value and function types, shared
// by Module::compile and the fast interpreter tier.
#pragma once

#include "engine/decode/types.h"
#include "wasmlet/value.h"

namespace wasmlet::detail {

inline ValType public_type(decode::ValType t) {
  switch (t) {
    case decode::ValType::I64: return ValType::I64;
    case decode::ValType::F32: return ValType::F32;
    case decode::ValType::F64: return ValType::F64;
    case decode::ValType::V128: return ValType::V128;
    case decode::ValType::FuncRef: return ValType::FuncRef;
    case decode::ValType::ExternRef: return ValType::ExternRef;
    default: return ValType::I32;
  }
}

inline FuncType public_type(const decode::FuncType& t) {
  FuncType type;
  for (auto v : t.params) type.params.push_back(public_type(v));
  for (auto v : t.results) type.results.push_back(public_type(v));
  return type;
}

}  // namespace wasmlet::detail
