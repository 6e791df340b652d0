// "HOST:PORT" option values (run --tcplisten, run -d --tcplisten, serve
// --listen): one strict reading, so that 99999 or "80x" is an error rather
// than a port the user did not ask for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wasmlet::cli {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// Splits at the last ':'. The port is decimal digits only, 1 to 65535.
// Throws UsageError naming `flag` and the value, with `example` (e.g.
// "127.0.0.1:8080") as the form to use. The host is not checked here.
HostPort parse_host_port(const std::string& value, std::string_view flag, std::string_view example);

}  // namespace wasmlet::cli
