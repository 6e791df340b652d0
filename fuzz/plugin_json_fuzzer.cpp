// (h) Plugin input and output (src/plugin): the JSON text a host hands to
// Plugin::call_json goes through the UTF-8 check, the fast JSON scan and
// nlohmann's parser, then through a real guest (the echo example plugin, in
// the interpreter) and back through the output checks. Invariants: the fast
// scan never accepts UTF-8 text the parser rejects; an input is refused (as
// InvalidInput) exactly when it is not UTF-8 JSON; what the echo plugin
// returns is the input, byte for byte.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "fuzz_support.h"
#include "plugin/abi.h"
#include "util/utf8.h"
#include "wasmlet/plugin.h"

using namespace wasmlet;

namespace {

const Plugin& echo_plugin() {
  static PluginHost host(EngineConfig{.tier = Tier::Interpreter});
  static std::shared_ptr<const Plugin> plugin = [] {
    PluginOptions options;
    options.keep_warm = true;  // one instance for every input: the fuzzer stays fast
    options.limits.fuel = 50'000'000;
    return host.load_file(ECHO_PLUGIN_WASM, options);
  }();
  return *plugin;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const std::string_view text = wasmlet::fuzz::as_text(data, size);
  const bool utf8 = util::valid_utf8(bytes);
  // nlohmann's lexer takes a NUL for the end of the input (`""\0...` passes
  // accept()); JSON text never holds one, and call_json refuses it.
  const bool accepted = text.find('\0') == std::string_view::npos && nlohmann::json::accept(text);
  // The fast scan's contract covers well-formed UTF-8 only (call_json checks that first).
  if (utf8 && plugin::surely_valid_json(bytes) && !accepted)
    wasmlet::fuzz::fail("the fast JSON scan accepted what nlohmann::json rejects: " + std::string(text));

  std::string out;
  try {
    out = echo_plugin().call_json("execute", text);
  } catch (const PluginError& e) {
    if (e.kind() != PluginError::Kind::InvalidInput) wasmlet::fuzz::fail(std::string("echo failed: ") + e.what());
    if (utf8 && accepted) wasmlet::fuzz::fail(std::string("valid UTF-8 JSON refused: ") + e.what());
    return 0;
  }
  if (!utf8 || !accepted) wasmlet::fuzz::fail("input that is not UTF-8 JSON was accepted: " + std::string(text));
  if (out != text) wasmlet::fuzz::fail("the echo plugin changed its input");
  return 0;
}
