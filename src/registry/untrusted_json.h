// JSON that came from outside wasmlet (a registry, an image, a token server,
// a credential helper, an OCI bundle), parsed with a nesting limit.
//
// nlohmann's parser is iterative, but copying, dumping and comparing a value
// recurse once per level: a 600 KB manifest nested 300,000 deep overflowed
// the stack of the CLI and the daemon. No manifest, config or reply nests
// more than a dozen levels, so deeper text is refused while parsing.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "wasmlet/registry/registry_error.h"

namespace wasmlet::registry {

inline constexpr int kMaxJsonDepth = 64;

struct UntrustedJson {
  nlohmann::json value;
  // Empty, or why the text was refused, as the rest of a sentence about it:
  // "is not valid JSON (syntax error at byte 12)". It never quotes the text,
  // which may hold a secret (a credential helper's reply).
  std::string problem;
};

UntrustedJson try_parse_untrusted_json(std::string_view text);

// The parsed text; otherwise throws ErrorType("<what> <problem>").
template <class ErrorType = RegistryError>
nlohmann::json parse_untrusted_json(std::string_view text, const std::string& what) {
  UntrustedJson parsed = try_parse_untrusted_json(text);
  if (!parsed.problem.empty()) throw ErrorType(what + " " + parsed.problem);
  return std::move(parsed.value);
}

}  // namespace wasmlet::registry
