// The function names of a module's "name" custom section (its subsection 1),
// for trap reports. Best effort, as the spec wants for custom sections: a
// malformed name section yields the names read before the damage, never an error.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/decode/decoded_module.h"

namespace wasmlet::decode {

// One name per function index (imports first); unnamed functions are
// "func[N]", N their index in the module.
std::vector<std::string> function_names(const Module& module, std::span<const uint8_t> wasm);

}  // namespace wasmlet::decode
