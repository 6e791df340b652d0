// (f) The spec-script (.wast) reader behind `wasmlet wast` (src/wast/script.cpp):
// arbitrary text is parsed as a script; every module a command holds (text,
// binary, quoted) is turned into binary. Bad text is reported as parser
// errors (never a throw, never an abort); a module that cannot be written is
// an `error`, not a crash.
#include <cstdint>

#include "fuzz_support.h"
#include "wabt/cast.h"
#include "wabt/ir.h"
#include "wast/script.h"

using namespace wasmlet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wast::ParsedScript parsed = wast::parse_script({data, size}, "fuzz.wast");
  if (!parsed.script) {
    if (parsed.errors.empty()) wasmlet::fuzz::fail("a script failed to parse without an error message");
    return 0;
  }
  for (const auto& command : parsed.script->commands) {
    if (auto* m = wabt::dyn_cast<wabt::ModuleCommand>(command.get())) (void)wast::module_bytes(m->module);
    if (auto* m = wabt::dyn_cast<wabt::ScriptModuleCommand>(command.get())) (void)wast::module_bytes(*m->script_module);
    if (auto* m = wabt::dyn_cast<wabt::AssertMalformedCommand>(command.get())) (void)wast::module_bytes(*m->module);
    if (auto* m = wabt::dyn_cast<wabt::AssertInvalidCommand>(command.get())) (void)wast::module_bytes(*m->module);
  }
  return 0;
}
