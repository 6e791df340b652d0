// Runs work that may crash the process (an engine bug reached by untrusted
// bytes) in a forked child first, so that a crash ends the child and not the
// daemon. The child is a copy of the calling thread only: the work must not
// wait for other threads or locks they may hold (decoding and validating a
// module with the interpreter tier does not).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace wasmlet::runtime {

// Runs `work` in a child process; exceptions it throws count as finishing.
// Returns nullopt when the child finished, else how it died: "killed by
// SIGABRT (Aborted): <its last line on stderr>", "exited with status 1", or
// "did not finish within 120 s" (it is then killed).
std::optional<std::string> crash_in_child(const std::function<void()>& work, std::chrono::milliseconds time_limit);

}  // namespace wasmlet::runtime
