#include "wasmlet/component/value.h"

#include <fmt/format.h>

namespace wasmlet::component {

std::string Val::as_bytes() const {
  if (kind == Kind::Bytes) return s;
  std::string r;
  r.reserve(items.size());
  for (auto& v : items) r += char(uint8_t(v.i));
  return r;
}

std::string Val::to_string() const {
  auto join = [&](const char* open, const char* close) {
    std::string s = open;
    for (size_t k = 0; k < items.size(); ++k) s += (k ? ", " : "") + items[k].to_string();
    return s + close;
  };
  switch (kind) {
    case Kind::Bool: return b ? "true" : "false";
    case Kind::Int: return std::to_string(i);
    case Kind::Float: return fmt::format("{}", f);
    case Kind::Char: return fmt::format("U+{:04X}", uint32_t(c));
    case Kind::String: return "\"" + s + "\"";
    case Kind::List: return join("[", "]");
    case Kind::Record: return join("{", "}");
    case Kind::Case: return fmt::format("case{}", index) + (items.empty() ? "" : join("(", ")"));
    case Kind::Flags: return fmt::format("flags(0x{:x})", bits);
    case Kind::Handle: return fmt::format("handle({})", handle);
    case Kind::Bytes: {
      std::string r = "[";
      for (size_t k = 0; k < s.size(); ++k) r += (k ? ", " : "") + std::to_string(uint8_t(s[k]));
      return r + "]";
    }
  }
  return "?";
}

}  // namespace wasmlet::component
