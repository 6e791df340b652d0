#include "capabilities.h"

#include <fmt/format.h>

namespace wasmlet::runtime {

EffectiveCapabilities effective_capabilities(const ServiceSpec& spec) {
  EffectiveCapabilities e;
  if (spec.wasm && spec.wasm->capabilities) {
    e.caps = *spec.wasm->capabilities;
    e.explicit_list = true;
    e.origin = "wasm.capabilities";
  } else if (auto d = default_capabilities(spec.service_type)) {
    e.caps = *d;
    e.origin = fmt::format("the defaults of service_type {}", to_string(spec.service_type));
  } else {
    e.caps.cli = e.caps.filesystem = e.caps.sockets = true;
    e.origin = fmt::format("a {} service without wasm.capabilities", to_string(spec.service_type));
  }
  return e;
}

void check_capabilities(const ServiceSpec& spec, const EffectiveCapabilities& e, const std::string& instance) {
  bool has_mounts = !spec.storage.empty() || (spec.wasm && !spec.wasm->preopens.empty());
  if (has_mounts && !e.caps.filesystem)
    throw RuntimeError(RuntimeError::Kind::InvalidSpec,
                       fmt::format("instance {}: the spec declares storage, but the filesystem capability is off ({}); "
                                   "set wasm.capabilities.filesystem: true", instance, e.origin));
  if (!spec.endpoints.empty() && !e.caps.sockets)
    throw RuntimeError(RuntimeError::Kind::InvalidSpec,
                       fmt::format("instance {}: the spec declares endpoints, but the sockets capability is off ({}); "
                                   "set wasm.capabilities.sockets: true", instance, e.origin));
}

component::WasiHostOptions socket_options(const ServiceSpec& spec, const EffectiveCapabilities& e) {
  WasmConfig w = spec.wasm.value_or(WasmConfig{});
  component::WasiHostOptions o;
  o.allow_sockets = e.caps.sockets;
  o.allow_tcp = w.allow_tcp;
  o.allow_udp = w.allow_udp;
  o.allowed_hosts = w.allowed_hosts;
  return o;
}

}  // namespace wasmlet::runtime
