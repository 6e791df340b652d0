#include "wasmlet/instance.h"

#include <fmt/format.h>

#include "engine/tier.h"
#include "wasmlet/error.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

namespace wasmlet {

Instance::Instance(std::unique_ptr<detail::TierInstance> impl) : impl_(std::move(impl)) {}
Instance::Instance(Instance&&) noexcept = default;
Instance& Instance::operator=(Instance&&) noexcept = default;
Instance::~Instance() = default;

Instance Instance::create(Store& store, const Module& module, const Linker& linker) {
  return Instance(module.impl().tier->instantiate(store, module, linker));
}

Outcome Instance::call(std::string_view export_name, std::span<const Value> args) {
  const Module& module = impl_->module();
  const ExportInfo* function = module.find_export(export_name);
  if (!function || function->kind != ExternKind::Func) {
    std::string available;
    for (const auto& e : module.exports())
      if (e.kind == ExternKind::Func) available += (available.empty() ? "" : ", ") + e.name;
    throw UsageError(fmt::format("{}: no exported function '{}' (exported functions: {})", module.name(), export_name,
                                 available.empty() ? "none" : available));
  }
  const auto& params = function->type.params;
  bool types_match = args.size() == params.size();
  for (size_t i = 0; types_match && i < args.size(); ++i) types_match = args[i].type() == params[i];
  if (!types_match) {
    FuncType given;
    for (const auto& a : args) given.params.push_back(a.type());
    throw UsageError(fmt::format("{}: function '{}' takes {}, but was called with {}", module.name(), export_name,
                                 function->type.to_string(), given.to_string()));
  }
  return impl_->call(*function, args);
}

GuestMemory Instance::memory() { return impl_->memory(); }
const Outcome& Instance::start_outcome() const { return impl_->start_outcome(); }
const Module& Instance::module() const { return impl_->module(); }

}  // namespace wasmlet
