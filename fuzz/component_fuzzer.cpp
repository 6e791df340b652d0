// (c) The component binary parser and validator (src/component/binary_parser.cpp,
// validate.cpp) on arbitrary bytes: every input either parses and validates
// or is refused with a ComponentError; nothing else may escape.
#include <cstdint>

#include "wasmlet/component/binary.h"
#include "wasmlet/component/validate.h"

using namespace wasmlet::component;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    Component component = parse_component({data, size}, "fuzz.wasm");
    (void)validate_component(component, "fuzz.wasm");
  } catch (const ComponentError&) {
  }
  return 0;
}
