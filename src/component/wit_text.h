// Reads WIT's type syntax into the type model (types.h), so that the host
// declares each WASI interface in the words of its WIT specification: named
// types (`use`, `type`, `record`, `variant`, `enum`, `flags`, `resource`)
// and function signatures (`func(len: u64) -> result<list<u8>, stream-error>`).
// A host's declarations are its own source text: a syntax error or an
// unknown name is a bug in wasmlet, thrown as Error(Internal).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "wasmlet/component/types.h"

namespace wasmlet::component::wit {

// A named type of an interface: a value type or a resource.
struct NamedType {
  TypePtr value;
  ResourcePtr resource;
};
using Scope = std::map<std::string, NamedType, std::less<>>;
// Interfaces by name without version ("wasi:io/streams"), for `use`.
using Scopes = std::map<std::string, Scope, std::less<>>;

// Adds the declarations of `text` to `scope`. `use wasi:io/poll.{pollable}`
// takes the type of that interface in `others` (the same object: a resource
// used by two interfaces is one resource).
void read_declarations(std::string_view text, Scope& scope, const Scopes& others);

// A type expression; a bare resource name is an own handle, as in WIT.
TypePtr read_type(std::string_view text, const Scope& scope);

// "func(name: type, ...) -> type".
FunctionType read_function(std::string_view text, const Scope& scope);

}  // namespace wasmlet::component::wit
