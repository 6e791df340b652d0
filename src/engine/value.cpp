#include "wasmlet/value.h"

#include <fmt/format.h>

namespace wasmlet {

const char* to_string(ValType type) {
  switch (type) {
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    case ValType::V128: return "v128";
    case ValType::FuncRef: return "funcref";
    case ValType::ExternRef: return "externref";
  }
  return "?";
}

std::string Value::to_string() const {
  switch (type_) {
    case ValType::I32: return fmt::format("{}", as_i32());
    case ValType::I64: return fmt::format("{}", as_i64());
    case ValType::F32: return fmt::format("{}", as_f32());
    case ValType::F64: return fmt::format("{}", as_f64());
    case ValType::V128: {
      auto b = as_v128();
      std::string s = "v128:";
      for (auto byte : b) s += fmt::format("{:02x}", byte);
      return s;
    }
    case ValType::FuncRef:
    case ValType::ExternRef: return fmt::format("{}:{:#x}", wasmlet::to_string(type_), as_ref());
  }
  return "?";
}

std::string FuncType::to_string() const {
  auto list = [](const std::vector<ValType>& types) {
    std::string s = "(";
    for (size_t i = 0; i < types.size(); ++i) s += (i ? ", " : "") + std::string(wasmlet::to_string(types[i]));
    return s + ")";
  };
  return list(params) + " -> " + list(results);
}

}  // namespace wasmlet
