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
  std::vector<std::string> denials;  // capability denials recorded during the call

  void reset(std::vector<uint8_t> new_input) {
    input = std::move(new_input);
    output.clear();
    output_set = false;
    response.clear();
    denials.clear();
  }
};

// Defines every wasmlet.* host function in the linker.
void add_plugin_abi(Linker& linker);

// True if `bytes` is well-formed UTF-8; otherwise *bad_offset is the first bad byte.
bool valid_utf8(std::span<const uint8_t> bytes, size_t* bad_offset = nullptr);

}  // namespace wasmlet::plugin
