// The one error the decoder and validator throw: where in the module (a byte
// offset) and what was expected there. Module::compile turns it into a
// CompileError; nothing else in the decoder reports errors.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace wasmlet::decode {

// The spec test suite tells "malformed" (the bytes are not in the binary
// grammar) from "invalid" (decodable, but fails validation); an implementation
// limit (nesting depth, counts) is neither.
enum class ErrorKind { Malformed, Invalid, Limit };

class DecodeError : public std::runtime_error {
 public:
  DecodeError(ErrorKind kind, size_t offset, std::string what);
  ErrorKind kind() const { return kind_; }
  size_t offset() const { return offset_; }
  // The message without the offset prefix.
  const std::string& detail() const { return detail_; }

 private:
  ErrorKind kind_;
  size_t offset_;
  std::string detail_;
};

[[noreturn]] void throw_malformed(size_t offset, std::string what);
[[noreturn]] void throw_invalid(size_t offset, std::string what);
[[noreturn]] void throw_limit(size_t offset, std::string what);

}  // namespace wasmlet::decode
