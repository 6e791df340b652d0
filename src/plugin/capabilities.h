#pragma once

#include <string>

#include "wasmlet/plugin.h"
#include "wasmlet/wasi.h"

namespace wasmlet::plugin {

// The WASI view of a capability set: preopens for the granted paths, the
// granted env, and stdout/stderr either inherited or sent to the log sink.
WasiConfig wasi_config_for(const Capabilities& caps, const std::string& plugin_name, const PluginLogSink& log);

}  // namespace wasmlet::plugin
