#include "engine/decode/decode_error.h"

#include <fmt/format.h>

namespace wasmlet::decode {

DecodeError::DecodeError(ErrorKind kind, size_t offset, std::string what)
    : std::runtime_error(fmt::format("byte {:#x}: {}", offset, what)), kind_(kind), offset_(offset),
      detail_(std::move(what)) {}

void throw_malformed(size_t offset, std::string what) {
  throw DecodeError(ErrorKind::Malformed, offset, std::move(what));
}
void throw_invalid(size_t offset, std::string what) { throw DecodeError(ErrorKind::Invalid, offset, std::move(what)); }
void throw_limit(size_t offset, std::string what) { throw DecodeError(ErrorKind::Limit, offset, std::move(what)); }

}  // namespace wasmlet::decode
