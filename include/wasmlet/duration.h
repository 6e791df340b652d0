// Durations on the command line and in spec files: "500ms", "5s", "1.5m", "2h", "250us".
#pragma once

#include <chrono>
#include <string_view>

namespace wasmlet {

// Throws UsageError naming the input when it has no unit or a bad number.
std::chrono::nanoseconds parse_duration(std::string_view text);

}  // namespace wasmlet
