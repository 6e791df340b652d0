#include "component/wasi/host_interface.h"

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet::component::wasi {

Interface::Interface(Interfaces& all, std::string name, std::string_view wit_types)
    : all_(all), name_(std::move(name)) {
  all_.functions[name_];
  wit::read_declarations(wit_types, all_.types[name_], all_.types);
}

WasiHost::Function& Interface::def(std::string_view function, std::string_view signature) {
  const wit::Scope& scope = all_.types[name_];
  auto type = std::make_shared<FunctionType>(wit::read_function(signature, scope));
  constexpr std::string_view kMethod = "[method]";
  if (function.substr(0, kMethod.size()) == kMethod) {
    std::string_view resource = function.substr(kMethod.size());
    resource = resource.substr(0, resource.find('.'));
    type->params.insert(type->params.begin(),
                        Field{"self", wit::read_type(fmt::format("borrow<{}>", resource), scope)});
  }
  auto [it, added] = all_.functions[name_].emplace(std::string(function), HostFunction{type, nullptr});
  if (!added) throw Error(fmt::format("{}#{} is registered twice", name_, function), ErrorCode::Internal);
  return it->second.call;
}

}  // namespace wasmlet::component::wasi
