#pragma once

#include <cstddef>
#include <string>

#include "wasmlet/plugin.h"
#include "wasmlet/wasi.h"

namespace wasmlet::plugin {

// The longest log line a plugin can make, through the `log` import or its
// stdout/stderr: longer ones are cut, so a plugin cannot make the host hold
// more than this per stream.
inline constexpr size_t kMaxLogLine = 64 * 1024;

// The WASI view of a capability set: preopens for the granted paths, the
// granted env, and stdout/stderr either inherited or sent to the log sink.
WasiConfig wasi_config_for(const Capabilities& caps, const std::string& plugin_name, const PluginLogSink& log);

}  // namespace wasmlet::plugin
