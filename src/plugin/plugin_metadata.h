// A plugin's name, version and description from its `wasmlet.plugin` custom
// section, and its exports classified against the ABI.
#pragma once

#include <string>
#include <vector>

#include "wasmlet/module.h"
#include "wasmlet/plugin.h"

namespace wasmlet::plugin {

// Reads the custom section (JSON {name, version, description}); missing or
// unreadable fields fall back to `fallback_name`, "0.1.0" and "".
PluginMetadata read_metadata(const Module& module, const std::string& fallback_name);

// Every function export with its signature; callable = () -> i32 or () -> ().
std::vector<PluginExport> plugin_exports(const Module& module);
bool abi_callable(const FuncType& type);

}  // namespace wasmlet::plugin
