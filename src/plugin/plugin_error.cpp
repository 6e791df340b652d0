#include <fmt/format.h>

#include "wasmlet/plugin.h"

namespace wasmlet {

namespace {
std::string message(const std::string& plugin, const std::string& export_name, const std::string& detail) {
  if (export_name.empty()) return fmt::format("plugin '{}': {}", plugin, detail);
  return fmt::format("plugin '{}' export '{}': {}", plugin, export_name, detail);
}
}  // namespace

// The error model's code of each kind (wasmlet/error.h).
ErrorCode PluginError::error_code(Kind kind) {
  using K = PluginError::Kind;
  switch (kind) {
    case K::NotFound: return ErrorCode::NotFound;
    case K::InvalidInput: return ErrorCode::InvalidArgument;
    case K::BadExport:
    case K::Instantiate: return ErrorCode::Link;
    case K::Fuel:
    case K::Timeout:
    case K::Memory: return ErrorCode::LimitExceeded;
    case K::Denied: return ErrorCode::PermissionDenied;
    case K::Trap:
    case K::Exit:
    case K::Failed:
    case K::BadOutput: return ErrorCode::GuestFailed;
  }
  return ErrorCode::Internal;
}

PluginError::PluginError(Kind kind, std::string plugin, std::string export_name, const std::string& detail)
    : Error(message(plugin, export_name, detail), error_code(kind)),
      kind_(kind),
      plugin_(std::move(plugin)),
      export_(std::move(export_name)),
      detail_(detail) {}

const char* to_string(PluginError::Kind kind) {
  using K = PluginError::Kind;
  switch (kind) {
    case K::NotFound: return "not-found";
    case K::BadExport: return "bad-export";
    case K::InvalidInput: return "invalid-input";
    case K::Trap: return "trap";
    case K::Fuel: return "fuel";
    case K::Timeout: return "timeout";
    case K::Memory: return "memory";
    case K::Exit: return "exit";
    case K::Failed: return "failed";
    case K::BadOutput: return "bad-output";
    case K::Denied: return "denied";
    case K::Instantiate: return "instantiate";
  }
  return "?";
}

}  // namespace wasmlet
