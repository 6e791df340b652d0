// Whether the type a component gives an import is the type the host
// provides, structurally: value types must be equal (the component model has
// no subtyping of value types: record fields, variant cases, enum and flags
// labels match by name and order), function types by their parameter and
// result types (parameter names do not change the ABI and are not compared).
//
// Resources have no structure: a resource the component imports is paired
// with the host's resource of the name an imported instance exports it under
// (pair()), and is that one wherever a function type uses it. A resource
// never paired (one the component defines itself) is none of the host's.
// Two resources of the component may stand for one of the host's (each is a
// type import the host's type is given for).
#pragma once

#include <map>
#include <string>

#include "wasmlet/component/types.h"

namespace wasmlet::component {

// How many labels, fields or cases of each type a mismatch message shows
// (error-code enums have dozens).
constexpr size_t kMessageTypeItems = 4;

class TypeMatcher {
 public:
  // Pairs the component's resource with the host's: false if it stands for
  // another of the host's already.
  bool pair(const ResourcePtr& component, const ResourcePtr& host);

  // Empty if `found` (the component's) is `expected` (the host's), else
  // where they differ: "parameter 2 (offset): expected u64, found u32".
  std::string mismatch(const FunctionType& found, const FunctionType& expected);

 private:
  bool same(const TypePtr& found, const TypePtr& expected);
  std::map<const ResourceType*, const ResourceType*> to_host_;
};

}  // namespace wasmlet::component
