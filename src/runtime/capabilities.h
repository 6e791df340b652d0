// Which WASI features an instance gets. The capabilities are the spec's
// wasm.capabilities, else the zlayer defaults of its service type, else (a
// standard service without a list) cli, filesystem and sockets. Even then the
// guest only sees what the spec declares: its mounts, its endpoints' listeners.
#pragma once

#include <string>

#include "wasmlet/component/wasi_host.h"
#include "wasmlet/runtime/spec.h"

namespace wasmlet::runtime {

struct EffectiveCapabilities {
  WasmCapabilities caps;
  bool explicit_list = false;  // from wasm.capabilities
  std::string origin;          // "wasm.capabilities", "defaults of service_type wasm_http", "standard service"
};

EffectiveCapabilities effective_capabilities(const ServiceSpec& spec);
// Refuses a spec that declares what its capabilities forbid (mounts without
// filesystem, endpoints without sockets), naming the instance and the field.
void check_capabilities(const ServiceSpec& spec, const EffectiveCapabilities& caps, const std::string& instance);
// What a component may do with wasi:sockets: the sockets capability, then
// wasm.allow_tcp, allow_udp and allowed_hosts (all refused when wasm is absent).
component::WasiHostOptions socket_options(const ServiceSpec& spec, const EffectiveCapabilities& caps);

}  // namespace wasmlet::runtime
