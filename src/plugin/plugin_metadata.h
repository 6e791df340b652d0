// A plugin's name, version and description from its `wasmlet.plugin` custom
// section, and its exports classified against the ABI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "wasmlet/module.h"
#include "wasmlet/plugin.h"

namespace wasmlet::plugin {

inline constexpr size_t kMaxPluginName = 64;

// A name a plugin may give itself: 1 to kMaxPluginName letters, digits, '.',
// '_' or '-'. It goes into every PluginError, log line and the host's map.
bool plugin_name_valid(std::string_view name);

// Reads the custom section (JSON {name, version, description}); missing or
// unreadable fields fall back to `fallback_name`, "0.1.0" and "". So does a
// name that is not plugin_name_valid: `*warning` then says why.
PluginMetadata read_metadata(const Module& module, const std::string& fallback_name, std::string* warning = nullptr);

// Every function export with its signature; callable = () -> i32 or () -> ().
std::vector<PluginExport> plugin_exports(const Module& module);
bool abi_callable(const FuncType& type);

}  // namespace wasmlet::plugin
