// Extern handles and the spec's import matching rules (tier-independent).
#include "wasmlet/extern.h"

#include <fmt/format.h>

#include "engine/tier.h"
#include "wasmlet/error.h"

namespace wasmlet {

std::string Limits::to_string() const {
  return max ? fmt::format("{{min {}, max {}}}", min, *max) : fmt::format("{{min {}, no max}}", min);
}

std::string ExternType::to_string() const {
  switch (kind) {
    case ExternKind::Func: return "function " + func.to_string();
    case ExternKind::Memory: return "memory " + limits.to_string();
    case ExternKind::Table: return fmt::format("table {} {}", wasmlet::to_string(value_type), limits.to_string());
    case ExternKind::Global:
      return fmt::format("global {}{}", mutable_global ? "mut " : "", wasmlet::to_string(value_type));
    case ExternKind::Tag: return "tag";
  }
  return "?";
}

namespace {

// Limits subtyping: the provided size is at least the wanted minimum, and if
// a maximum is wanted the provided one exists and is no larger.
std::optional<std::string> limits_mismatch(const Limits& expected, const Limits& actual, const char* unit) {
  if (actual.min < expected.min)
    return fmt::format("it has {} {}, fewer than the {} the import requires", actual.min, unit, expected.min);
  if (expected.max) {
    if (!actual.max) return fmt::format("the import requires a maximum of {} {}, but it has no maximum", *expected.max, unit);
    if (*actual.max > *expected.max)
      return fmt::format("its maximum of {} {} exceeds the import's maximum of {}", *actual.max, unit, *expected.max);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> extern_mismatch(const ExternType& expected, const ExternType& actual) {
  if (expected.kind != actual.kind)
    return fmt::format("a {} was expected, but a {} was provided", wasmlet::to_string(expected.kind),
                       wasmlet::to_string(actual.kind));
  switch (expected.kind) {
    case ExternKind::Func:
      if (expected.func != actual.func)
        return fmt::format("the import has type {}, but the function has type {}", expected.func.to_string(),
                           actual.func.to_string());
      return std::nullopt;
    case ExternKind::Memory: return limits_mismatch(expected.limits, actual.limits, "pages");
    case ExternKind::Table:
      if (expected.value_type != actual.value_type)
        return fmt::format("the import wants a table of {}, but it holds {}", wasmlet::to_string(expected.value_type),
                           wasmlet::to_string(actual.value_type));
      return limits_mismatch(expected.limits, actual.limits, "elements");
    case ExternKind::Global:
      if (expected.value_type != actual.value_type || expected.mutable_global != actual.mutable_global)
        return fmt::format("the import has type {}, but the global has type {}", expected.to_string(), actual.to_string());
      return std::nullopt;
    case ExternKind::Tag: return "tags cannot be linked";
  }
  return std::nullopt;
}

Extern::Extern(std::shared_ptr<const detail::ExternImpl> impl) : impl_(std::move(impl)) {}
ExternKind Extern::kind() const { return impl_->kind(); }
ExternType Extern::type() const { return impl_->type(); }
const FuncType* Extern::func_type() const { return impl_->kind() == ExternKind::Func ? &impl_->func() : nullptr; }
Store& Extern::store() const { return impl_->store(); }
const std::string& Extern::description() const { return impl_->description(); }

}  // namespace wasmlet

namespace wasmlet::detail {

void require_same_store(const Store& store, const std::string& importer, const std::string& qualified,
                        const Extern& item) {
  if (&item.store() != &store)
    throw LinkError(fmt::format("{}: import {} is {}, which lives in another Store", importer, qualified,
                                item.description()));
}

void require_matching_type(const std::string& importer, const std::string& qualified, const ExternType& wanted,
                           const Extern& item) {
  if (auto why = extern_mismatch(wanted, item.type()))
    throw LinkError(fmt::format("{}: import {} ({}) does not match {}: {}", importer, qualified, wanted.to_string(),
                                item.description(), *why));
}

void throw_undefined_item_import(const std::string& importer, const std::string& qualified, ExternKind kind) {
  throw LinkError(fmt::format("{}: unknown import: {} {} is not defined (a {} can only be another instance's "
                              "export, given with Linker::define(module, name, Extern))",
                              importer, wasmlet::to_string(kind), qualified, wasmlet::to_string(kind)));
}

}  // namespace wasmlet::detail
