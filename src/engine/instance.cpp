#include "wasmlet/instance.h"

#include <fmt/format.h>

#include "engine/table_limits.h"
#include "engine/access.h"
#include "engine/tier.h"
#include "wasmlet/error.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

namespace wasmlet {

namespace {

// A function export of a tier that does not share its items (AOT): calling
// the Extern calls the export through the instance, which it keeps alive.
class CallThroughExtern final : public detail::ExternImpl {
 public:
  CallThroughExtern(Store& store, std::shared_ptr<detail::TierInstance> instance, ExportInfo function)
      : ExternImpl(store, ExternKind::Func, function.type,
                   fmt::format("{} export {}", instance->module().name(), function.name)),
        instance_(std::move(instance)), function_(std::move(function)) {}
  ExternType type() const override { return ExternType{ExternKind::Func, function_.type, {}, {}, false}; }
  Outcome call(std::span<const Value> args) const override { return instance_->call(function_, args); }
  GuestMemory memory() const override { return {}; }

 private:
  std::shared_ptr<detail::TierInstance> instance_;
  ExportInfo function_;
};

}  // namespace

Instance::Instance(Store& store, std::shared_ptr<detail::TierInstance> impl) : store_(&store), impl_(std::move(impl)) {}
Instance::Instance(Instance&&) noexcept = default;
Instance& Instance::operator=(Instance&&) noexcept = default;
Instance::~Instance() = default;

Instance Instance::create(Store& store, const Module& module, const Linker& linker) {
  auto charge = detail::charge_tables(store, module);
  std::unique_ptr<detail::TierInstance> instance = detail::Access::impl(module).tier->instantiate(store, module, linker);
  // The tables' charge is given back when the last owner lets the instance go.
  return Instance(store, std::shared_ptr<detail::TierInstance>(
                             instance.release(), [charge = std::shared_ptr<detail::TableCharge>(std::move(charge))](
                                                     detail::TierInstance* p) { delete p; }));
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

std::optional<Extern> Instance::get_export(std::string_view name) {
  const ExportInfo* e = impl_->module().find_export(name);
  if (!e) return std::nullopt;
  if (auto shared = impl_->get_export(*e)) return shared;
  if (e->kind == ExternKind::Func) return Extern(std::make_shared<CallThroughExtern>(*store_, impl_, *e));
  return std::nullopt;
}

GuestMemory Instance::memory() { return impl_->memory(); }
const Outcome& Instance::start_outcome() const { return impl_->start_outcome(); }
const Module& Instance::module() const { return impl_->module(); }

}  // namespace wasmlet
