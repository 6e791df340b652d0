#include "wasmlet/byte_size.h"

#include <charconv>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}
}  // namespace

uint64_t parse_byte_size(std::string_view text) {
  std::string_view s = trim(text);
  if (s.size() < 3)
    throw UsageError(fmt::format("invalid memory size '{}': expected a number followed by Ki, Mi, Gi or Ti (e.g. 64Mi)", text));
  std::string_view number = s.substr(0, s.size() - 2), suffix = s.substr(s.size() - 2);
  unsigned shift;
  if (suffix == "Ki") shift = 10;
  else if (suffix == "Mi") shift = 20;
  else if (suffix == "Gi") shift = 30;
  else if (suffix == "Ti") shift = 40;
  else
    throw UsageError(fmt::format("invalid memory size '{}': unknown suffix '{}' (use Ki, Mi, Gi or Ti)", text, suffix));
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size())
    throw UsageError(fmt::format("invalid memory size '{}': '{}' is not a whole number", text, number));
  if (value > (std::numeric_limits<uint64_t>::max() >> shift))
    throw UsageError(fmt::format("invalid memory size '{}': too large", text));
  return value << shift;
}

}  // namespace wasmlet
