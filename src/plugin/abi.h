// The guest ABI of docs/plugin-abi.md, host side: the per-call state that the
// `wasmlet.*` host functions reach through the Store, and their definitions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wasmlet/linker.h"
#include "wasmlet/plugin.h"

namespace wasmlet::plugin {

inline constexpr const char* kAbiModule = "wasmlet";
inline constexpr const char* kMetadataSection = "wasmlet.plugin";
// The denials of one call that are kept (and logged) one by one; the rest
// are only counted: a plugin can make any number of denied calls.
inline constexpr size_t kKeptDenials = 8;

// Lives in the Store (host_state<CallContext>) for the duration of one call
// (or, for a warm instance, is reset before each call).
struct CallContext {
  std::string plugin;
  std::string export_name;
  const Capabilities* capabilities = nullptr;
  const PluginLimits* limits = nullptr;
  const PluginLogSink* log = nullptr;

  std::vector<uint8_t> input;
  std::vector<uint8_t> output;
  bool output_set = false;
  std::vector<uint8_t> response;  // last http_request's response (or reason)
  std::vector<std::string> denials;  // the first kKeptDenials capability denials of the call
  uint64_t denial_count = 0;         // all of them

  void reset(std::vector<uint8_t> new_input) {
    input = std::move(new_input);
    output.clear();
    output_set = false;
    response.clear();
    denials.clear();
    denial_count = 0;
  }
};

// Defines every wasmlet.* host function in the linker.
void add_plugin_abi(Linker& linker);


// A fast check that well-formed UTF-8 `bytes` are one JSON text (RFC 8259)
// that nlohmann::json::accept accepts too. True is certain; false means
// "invalid, or not decided here" (nesting deeper than 64, numbers with an
// exponent or more than 15 digits, which the parser may reject as out of
// range): the caller then asks nlohmann::json::accept. Allocates nothing;
// about 20x faster than accept() on small documents.
bool surely_valid_json(std::span<const uint8_t> bytes);

}  // namespace wasmlet::plugin
