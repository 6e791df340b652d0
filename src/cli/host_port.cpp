#include "cli/host_port.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet::cli {

HostPort parse_host_port(const std::string& value, std::string_view flag, std::string_view example) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos)
    throw UsageError(fmt::format("invalid {} '{}': expected HOST:PORT, e.g. {}", flag, value, example));
  std::string port = value.substr(colon + 1);
  // Digits only: no sign, no spaces, nothing after the number; at most 5 of them, so no overflow.
  bool digits = !port.empty() && port.size() <= 5 &&
                std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  unsigned long number = digits ? std::stoul(port) : 0;
  if (!digits || number < 1 || number > 65535)
    throw UsageError(fmt::format("invalid {} '{}': the port must be a number from 1 to 65535, e.g. {}", flag, value, example));
  return HostPort{value.substr(0, colon), static_cast<uint16_t>(number)};
}

}  // namespace wasmlet::cli
