#include "util/untrusted_json.h"

#include <fmt/format.h>

namespace wasmlet::util {

namespace {

// Thrown from the parser callback to stop at the first level too deep.
struct TooDeep {};

}  // namespace

UntrustedJson try_parse_untrusted_json(std::string_view text, int max_depth) {
  UntrustedJson out;
  // `depth` counts the containers around the one starting: 0 for the outermost.
  auto limit_depth = [max_depth](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    bool opens = event == nlohmann::json::parse_event_t::object_start || event == nlohmann::json::parse_event_t::array_start;
    if (opens && depth >= max_depth) throw TooDeep{};
    return true;
  };
  try {
    out.value = nlohmann::json::parse(text.begin(), text.end(), limit_depth);
  } catch (const TooDeep&) {
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
