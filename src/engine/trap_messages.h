// Trap wording that every tier shares where the tiers know different
// things. An out-of-bounds memory access is reported by its first byte past
// the end of memory: the AOT tier learns it from the fault address (it
// cannot know the access width), the interpreter from the access.
#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "wasmlet/outcome.h"

namespace wasmlet::detail {

inline std::string memory_out_of_bounds_message(uint64_t first_byte, uint64_t memory_bytes) {
  return fmt::format("out of bounds memory access: byte {} is past the end of memory ({} bytes)", first_byte,
                     memory_bytes);
}

// The LinkError text when a new instance's initial memory does not fit under
// the Store's memory limit beside what its other instances use.
inline std::string initial_memory_over_limit_message(const std::string& module, uint64_t initial_bytes,
                                                     uint64_t used_bytes, uint64_t limit) {
  if (used_bytes == 0)
    return fmt::format("{}: needs {} bytes of linear memory at start, more than the memory limit of {} bytes", module,
                       initial_bytes, limit);
  return fmt::format("{}: needs {} bytes of linear memory at start; with the {} bytes the Store's other instances "
                     "use, that is more than the memory limit of {} bytes",
                     module, initial_bytes, used_bytes, limit);
}

}  // namespace wasmlet::detail
