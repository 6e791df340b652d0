// Members of JSON a registry, an image or a credential helper sent: untrusted.
// nlohmann's value(key, default) throws type_error when the member has
// another type (`"os": {}`), an exception no caller expects; these read such
// a member as missing instead (found by fuzz_registry).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace wasmlet::registry {

// The string member `key` of `j`; "" when `j` is not an object or the member is missing or not a string.
inline std::string string_member(const nlohmann::json& j, const std::string& key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace wasmlet::registry
