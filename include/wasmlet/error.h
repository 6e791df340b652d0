// The one error model of wasmlet's public API. Every error a user can act on
// is an Error (or derives from it) with a code saying what class of failure
// it is; every message names the module, export, file, reference, instance
// or limit it concerns. The dialects of the layers (CompileError, LinkError,
// UsageError here, registry errors, RuntimeError::Kind, PluginError::Kind)
// derive from Error and carry its code, so a caller (the daemon's HTTP
// statuses, the CLI's exit codes) decides by code() alone.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace wasmlet {

enum class ErrorCode {
  InvalidArgument,   // a bad argument, flag, spec, reference or request body
  NotFound,          // no such instance, image, plugin, export or file
  Conflict,          // exists already, or in use
  LimitExceeded,     // a configured limit (memory, fuel, time, size) was hit
  Unsupported,       // a feature or setting wasmlet does not support (yet)
  Compile,           // not a valid WebAssembly module or component
  Link,              // instantiation failed: imports, types, limits
  PermissionDenied,  // a capability or credential was refused
  GuestFailed,       // the guest trapped, exited non-zero or answered what it must not
  Unavailable,       // a registry, daemon or other service could not be reached or failed
  Io,                // reading or writing a file failed
  Internal,          // a bug or an unexpected state
};

// "invalid_argument", "not_found", ... (the daemon's "kind" field).
const char* to_string(ErrorCode code);

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorCode code = ErrorCode::Internal)
      : std::runtime_error(message), code_(code) {}
  explicit Error(const char* message, ErrorCode code = ErrorCode::Internal) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// The binary is not a valid WebAssembly module (decode or validation).
class CompileError : public Error {
 public:
  explicit CompileError(const std::string& message) : Error(message, ErrorCode::Compile) {}
};

// Instantiation failed: unknown import, type mismatch, limits.
class LinkError : public Error {
 public:
  explicit LinkError(const std::string& message) : Error(message, ErrorCode::Link) {}
};

// A bad argument from the user (flag, size string, missing export...). The
// host's own API misuse, never the guest's doing: a guest's bad request is a
// WASI errno or a trap, not a UsageError.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message, ErrorCode::InvalidArgument) {}
};

}  // namespace wasmlet
