// (g) OCI image references and manifest/index JSON (src/registry/reference.cpp,
// descriptor.cpp, artifact.cpp). The whole input is tried as a reference and
// as a JSON document; JSON is then classified as a manifest (with the bytes
// after a NUL, if any, as its config blob) and as an index. Anything malformed
// must be refused with a ReferenceError/RegistryError; a reference that parses
// must print as text that parses back to the same reference.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "wasmlet/registry/artifact.h"
#include "wasmlet/registry/reference.h"
#include "wasmlet/registry/registry_error.h"

using namespace wasmlet;
using namespace wasmlet::registry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(wasmlet::fuzz::as_text(data, size));

  try {
    const Reference ref = Reference::parse(text);
    const std::string printed = ref.str();
    Reference again;
    try {
      again = Reference::parse(printed);
    } catch (const ReferenceError& e) {
      wasmlet::fuzz::fail("'" + text + "' parsed, but its normal form '" + printed + "' does not: " + e.what());
    }
    if (!(again == ref)) wasmlet::fuzz::fail("'" + text + "' -> '" + printed + "' -> '" + again.str() + "'");
    (void)ref.name(), (void)ref.tag_or_digest(), (void)ref.api_host(), (void)ref.is_loopback();
  } catch (const ReferenceError&) {
  }

  const size_t nul = text.find('\0');
  const std::string document = text.substr(0, nul);
  const std::string config = nul == std::string::npos ? std::string() : text.substr(nul + 1);
  const nlohmann::json json = nlohmann::json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  try {
    (void)locate_wasm(json, config, "fuzz manifest");
  } catch (const RegistryError&) {
  }
  try {
    (void)select_wasm_platform(json, "fuzz index");
  } catch (const RegistryError&) {
  }
  try {
    (void)Descriptor::from_json(json, "fuzz descriptor");
  } catch (const RegistryError&) {
  }
  return 0;
}
