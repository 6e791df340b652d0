// Compiles and runs a module through the installed public API, and checks
// that a broken module is a CompileError (code Compile) naming it.
#include <cstdio>
#include <string>
#include <vector>

#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"
#include "wasmlet/version.h"

int main() {
  // (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
  const std::vector<uint8_t> add_wasm = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02,
                                         0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x61,
                                         0x64, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01,
                                         0x6a, 0x0b};
  wasmlet::Engine engine;
  wasmlet::Module module = wasmlet::Module::compile(engine, add_wasm, "add");
  wasmlet::Store store(engine);
  wasmlet::Linker linker;
  wasmlet::Instance instance = wasmlet::Instance::create(store, module, linker);
  std::vector<wasmlet::Value> args{wasmlet::Value::i32(2), wasmlet::Value::i32(40)};
  wasmlet::Outcome outcome = instance.call("add", args);
  if (!outcome.returned() || outcome.results.size() != 1 || outcome.results[0].as_i32() != 42) {
    std::fprintf(stderr, "add(2, 40) did not return 42\n");
    return 1;
  }
  try {
    const std::vector<uint8_t> broken = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07};
    wasmlet::Module::compile(engine, broken, "broken");
    std::fprintf(stderr, "a truncated module compiled\n");
    return 1;
  } catch (const wasmlet::CompileError& e) {
    if (std::string(e.what()).find("broken") == std::string::npos || e.code() != wasmlet::ErrorCode::Compile) {
      std::fprintf(stderr, "the compile error (code %s) does not name the module: %s\n", wasmlet::to_string(e.code()),
                   e.what());
      return 1;
    }
  }
  std::printf("wasmlet %s: add(2, 40) = 42\n", WASMLET_VERSION);
  return 0;
}
