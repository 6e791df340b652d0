#include "wast/spectest.h"

#include "wast/script.h"
#include "wasmlet/error.h"

namespace wasmlet::wast {

void define_spectest_functions(Linker& linker) {
  auto nothing = [](Caller&, std::span<const Value>, std::span<Value>) {};
  using V = ValType;
  const std::pair<const char*, std::vector<ValType>> functions[] = {
      {"print", {}},           {"print_i32", {V::I32}},          {"print_i64", {V::I64}},
      {"print_f32", {V::F32}}, {"print_f64", {V::F64}},          {"print_i32_f32", {V::I32, V::F32}},
      {"print_f64_f64", {V::F64, V::F64}},
  };
  for (const auto& [name, params] : functions) linker.define("spectest", name, FuncType{params, {}}, nothing);
}

Module compile_spectest_items(Engine& engine) {
  static constexpr std::string_view kText = R"((module
    (global (export "global_i32") i32 (i32.const 666))
    (global (export "global_i64") i64 (i64.const 666))
    (global (export "global_f32") f32 (f32.const 666.6))
    (global (export "global_f64") f64 (f64.const 666.6))
    (table (export "table") 10 20 funcref)
    (memory (export "memory") 1 2)))";
  std::string error;
  auto bytes = text_to_binary(kText, error);
  if (!bytes) throw Error("the spectest module does not parse: " + error);
  return Module::compile(engine, *bytes, "spectest");
}

}  // namespace wasmlet::wast
