// JSON that came from outside wasmlet (a registry, an image, a token server,
// a credential helper, an OCI bundle, a plugin's output), parsed with a
// nesting limit.
//
// nlohmann's parser is iterative, but copying, dumping and comparing a value
// recurse once per level: a 600 KB manifest nested 300,000 deep overflowed
// the stack of the CLI and the daemon, and a plugin's output so nested would
// overflow the embedding program's on its first dump(). Deeper text is
// refused while parsing. Header-only: util itself (part of the library-only
// build) does not depend on nlohmann_json; its users do.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>
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

namespace untrusted_json_detail {
// Thrown from the parser callback to stop at the first level too deep.
struct TooDeep {};
}  // namespace untrusted_json_detail

inline UntrustedJson try_parse_untrusted_json(std::string_view text, int max_depth = kMaxJsonDepth) {
  UntrustedJson out;
  // `depth` counts the containers around the one starting: 0 for the outermost.
  auto limit_depth = [max_depth](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    bool opens = event == nlohmann::json::parse_event_t::object_start || event == nlohmann::json::parse_event_t::array_start;
    if (opens && depth >= max_depth) throw untrusted_json_detail::TooDeep{};
    return true;
  };
  try {
    out.value = nlohmann::json::parse(text.begin(), text.end(), limit_depth);
  } catch (const untrusted_json_detail::TooDeep&) {
    out.value = nullptr;
    out.problem = fmt::format("nests JSON more than {} levels deep; refused", max_depth);
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() quotes the last bytes read: only the position is reported.
    out.value = nullptr;
    out.problem = fmt::format("is not valid JSON (syntax error at byte {} of {})", e.byte, text.size());
  } catch (const nlohmann::json::exception&) {
    out.value = nullptr;
    out.problem = "is not valid JSON (a number out of range)";  // the one other error parse() throws
  }
  return out;
}

}  // namespace wasmlet::util
