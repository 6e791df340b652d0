// Durations on the command line and in spec files: "500ms", "5s", "1.5m", "2h", "250us".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace wasmlet {

// Throws UsageError naming the input when it has no unit or a bad number.
std::chrono::nanoseconds parse_duration(std::string_view text);

// The shortest exact text parse_duration reads back: "1500ms", "2s", "250us".
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace wasmlet
