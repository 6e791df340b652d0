// (f) The spec-script (.wast) reader behind `wasmlet wast` (src/wast/script.cpp):
// arbitrary text is parsed as a script; every module a command holds (text,
// binary, quoted) is turned into binary. Bad text is reported as parser
// errors (never a throw, never an abort); a module that cannot be written is
// an `error`, not a crash. Modules held as strings never reach wabt's parser
// (it aborted on `(module quote "")` and on corrupt top-level binary modules).
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "wabt/cast.h"
#include "wabt/ir.h"
#include "wast/script.h"

using namespace wasmlet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wast::ParsedScript parsed = wast::parse_script({data, size}, "fuzz.wast");
  // Modules held as strings are replaced by placeholders (src/wast/module_sources.h)
  // that keep every line where it was, so errors and failures name the right line.
  const std::string_view original(reinterpret_cast<const char*>(data), size);
  if (std::count(original.begin(), original.end(), '\n') != std::count(parsed.text->begin(), parsed.text->end(), '\n'))
    wasmlet::fuzz::fail("taking module strings out of the script moved its lines");
  if (!parsed.script) {
    if (parsed.errors.empty()) wasmlet::fuzz::fail("a script failed to parse without an error message");
    return 0;
  }
  for (const auto& command : parsed.script->commands) {
    if (auto* m = wabt::dyn_cast<wabt::ModuleCommand>(command.get())) (void)wast::module_bytes(m->module);
    if (auto* m = wabt::dyn_cast<wabt::ScriptModuleCommand>(command.get())) (void)wast::module_bytes(*m->script_module, parsed.sources);
    if (auto* m = wabt::dyn_cast<wabt::AssertMalformedCommand>(command.get())) (void)wast::module_bytes(*m->module, parsed.sources);
    if (auto* m = wabt::dyn_cast<wabt::AssertInvalidCommand>(command.get())) (void)wast::module_bytes(*m->module, parsed.sources);
  }
  return 0;
}
