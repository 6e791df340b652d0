// Errors a user of the engine can act on. Every message names the module,
// export, file or limit it concerns.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace wasmlet {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The binary is not a valid WebAssembly module (decode or validation).
class CompileError : public Error {
 public:
  using Error::Error;
};

// Instantiation failed: unknown import, type mismatch, limits.
class LinkError : public Error {
 public:
  using Error::Error;
};

// A bad argument from the user (flag, size string, missing export...).
class UsageError : public Error {
 public:
  using Error::Error;
};

}  // namespace wasmlet
