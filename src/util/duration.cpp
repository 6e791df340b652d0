#include "wasmlet/duration.h"

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet {

std::chrono::nanoseconds parse_duration(std::string_view text) {
  std::string s(text);
  size_t unit_at = s.find_first_not_of("0123456789.");
  if (s.empty() || unit_at == 0 || unit_at == std::string::npos)
    throw UsageError(fmt::format("invalid duration '{}': expected a number and a unit, e.g. 500ms, 5s, 2m, 1h", text));
  std::string number = s.substr(0, unit_at), unit = s.substr(unit_at);
  double value;
  try {
    size_t used = 0;
    value = std::stod(number, &used);
    if (used != number.size()) throw std::invalid_argument(number);
  } catch (const std::exception&) {
    throw UsageError(fmt::format("invalid duration '{}': '{}' is not a number", text, number));
  }
  double ns_per_unit;
  if (unit == "ns") ns_per_unit = 1;
  else if (unit == "us") ns_per_unit = 1e3;
  else if (unit == "ms") ns_per_unit = 1e6;
  else if (unit == "s") ns_per_unit = 1e9;
  else if (unit == "m") ns_per_unit = 60e9;
  else if (unit == "h") ns_per_unit = 3600e9;
  else
    throw UsageError(fmt::format("invalid duration '{}': unknown unit '{}' (use ns, us, ms, s, m or h)", text, unit));
  double ns = value * ns_per_unit;
  if (!std::isfinite(ns) || ns > 9.2e18)
    throw UsageError(fmt::format("invalid duration '{}': too large", text));
  return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

std::string format_duration(std::chrono::nanoseconds d) {
  auto ns = d.count();
  if (ns % 1000000000 == 0) return fmt::format("{}s", ns / 1000000000);
  if (ns % 1000000 == 0) return fmt::format("{}ms", ns / 1000000);
  if (ns % 1000 == 0) return fmt::format("{}us", ns / 1000);
  return fmt::format("{}ns", ns);
}

}  // namespace wasmlet
