// The differential check of the interpreter's fusions: a program's calls run
// twice in the interpreter, its functions translated with fusions and plain
// (fast::PlainTranslation: every wasm instruction on its own), and every
// observable compared: each call's results or trap (kind, message, function),
// the fuel used after each call, and the memory at the end.
#pragma once

#include <string>
#include <vector>

#include "random_program.h"

namespace wasmlet::testing {

// "" if both runs agree; else the first difference, fused run first.
// `calls`, if given, receives what each call did ("f0 -> returned 7 (fuel 12)").
// Throws wasmlet::CompileError if the program does not validate.
std::string fused_vs_plain(const RandomProgram& program, std::vector<std::string>* calls = nullptr);

}  // namespace wasmlet::testing
