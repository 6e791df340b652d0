// JSON from a registry, an image, a token server, a credential helper or an
// OCI bundle: util/untrusted_json.h's depth-limited parse, failing with a
// registry error.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/untrusted_json.h"
#include "wasmlet/registry/registry_error.h"

namespace wasmlet::registry {

using util::kMaxJsonDepth;
using util::try_parse_untrusted_json;
using util::UntrustedJson;

// The parsed text; otherwise throws ErrorType("<what> <problem>").
template <class ErrorType = RegistryError>
nlohmann::json parse_untrusted_json(std::string_view text, const std::string& what) {
  UntrustedJson parsed = try_parse_untrusted_json(text);
  if (!parsed.problem.empty()) throw ErrorType(what + " " + parsed.problem);
  return std::move(parsed.value);
}

}  // namespace wasmlet::registry
