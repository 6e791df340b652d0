#include "component/type_match.h"

#include <fmt/format.h>

namespace wasmlet::component {

bool TypeMatcher::pair(const ResourcePtr& component, const ResourcePtr& host) {
  if (!component || !host) return false;
  auto [it, added] = to_host_.emplace(component.get(), host.get());
  return added || it->second == host.get();
}

bool TypeMatcher::same(const TypePtr& found, const TypePtr& expected) {
  if (!found || !expected) return !found && !expected;
  const Type& f = *found;
  const Type& e = *expected;
  if (f.kind != e.kind) return false;
  switch (e.kind) {
    case TypeKind::List:
    case TypeKind::Option:
    case TypeKind::Stream:
    case TypeKind::Future:
      return same(f.element, e.element);
    case TypeKind::FixedList:
      return f.length == e.length && same(f.element, e.element);
    case TypeKind::Record:
      if (f.fields.size() != e.fields.size()) return false;
      for (size_t i = 0; i < e.fields.size(); ++i)
        if (f.fields[i].name != e.fields[i].name || !same(f.fields[i].type, e.fields[i].type)) return false;
      return true;
    case TypeKind::Tuple:
      if (f.items.size() != e.items.size()) return false;
      for (size_t i = 0; i < e.items.size(); ++i)
        if (!same(f.items[i], e.items[i])) return false;
      return true;
    case TypeKind::Variant:
      if (f.cases.size() != e.cases.size()) return false;
      for (size_t i = 0; i < e.cases.size(); ++i)
        if (f.cases[i].name != e.cases[i].name || !same(f.cases[i].type, e.cases[i].type)) return false;
      return true;
    case TypeKind::Enum:
    case TypeKind::Flags:
      return f.labels == e.labels;
    case TypeKind::Result:
      return same(f.ok, e.ok) && same(f.err, e.err);
    case TypeKind::Own:
    case TypeKind::Borrow:
      if (auto it = f.resource ? to_host_.find(f.resource.get()) : to_host_.end(); it != to_host_.end())
        return it->second == e.resource.get();
      return false;
    default:
      return true;  // primitives: the kind is the type
  }
}

static std::string text(const TypePtr& t) { return t ? t->to_string(kMessageTypeItems) : "none"; }

// "expected E, found F", saying why when both read the same (a resource of
// the host's name that is not the host's).
static std::string expected_found(const TypePtr& expected, const TypePtr& found) {
  std::string e = text(expected), f = text(found);
  if (e == f) return fmt::format("expected {}, found the component's own resource of that name", e);
  return fmt::format("expected {}, found {}", e, f);
}

std::string TypeMatcher::mismatch(const FunctionType& found, const FunctionType& expected) {
  if (found.async != expected.async)
    return found.async ? "it is async, the host's is not" : "the host's is async, it is not";
  if (found.params.size() != expected.params.size())
    return fmt::format("expected {} parameters, found {}", expected.params.size(), found.params.size());
  for (size_t i = 0; i < expected.params.size(); ++i)
    if (!same(found.params[i].type, expected.params[i].type))
      return fmt::format("parameter {} ({}): {}", i + 1, expected.params[i].name,
                         expected_found(expected.params[i].type, found.params[i].type));
  if (!same(found.result, expected.result)) return "result: " + expected_found(expected.result, found.result);
  return "";
}

}  // namespace wasmlet::component
