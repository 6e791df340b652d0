#include <fmt/format.h>

#include "wasmlet/linker.h"

namespace wasmlet {

MemoryFault::MemoryFault(uint64_t offset, uint64_t length, uint64_t size)
    : Error(fmt::format("guest memory access out of bounds: {} bytes at offset {} (memory size {})", length, offset, size)),
      offset(offset), length(length), size(size) {}

void Caller::exit(int code) const { throw detail::HostExit{code}; }

void Caller::trap(const std::string& message) const {
  throw detail::HostTrap{fmt::format("{}: {}", function_, message)};
}

}  // namespace wasmlet
