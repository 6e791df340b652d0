// JSON that came from outside wasmlet (a registry, an image, a token server,
// a credential helper, an OCI bundle, a plugin's output), parsed with a
// nesting limit.
//
// nlohmann's parser is iterative, but copying, dumping and comparing a value
// recurse once per level: a 600 KB manifest nested 300,000 deep overflowed
// the stack of the CLI and the daemon, and a plugin's output so nested would
// overflow the embedding program's on its first dump(). Deeper text is
// refused while parsing.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace wasmlet::util {

// No manifest, config or reply nests more than a dozen levels.
inline constexpr int kMaxJsonDepth = 64;

struct UntrustedJson {
  nlohmann::json value;
  // Empty, or why the text was refused, as the rest of a sentence about it:
  // "is not valid JSON (syntax error at byte 12)". It never quotes the text,
  // which may hold a secret (a credential helper's reply).
  std::string problem;
};

UntrustedJson try_parse_untrusted_json(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace wasmlet::util
