#include "wasmlet/error.h"

namespace wasmlet {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "invalid_argument";
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::Conflict: return "conflict";
    case ErrorCode::LimitExceeded: return "limit_exceeded";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::Compile: return "compile";
    case ErrorCode::Link: return "link";
    case ErrorCode::PermissionDenied: return "permission_denied";
    case ErrorCode::GuestFailed: return "guest_failed";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::Io: return "io";
    case ErrorCode::Internal: return "internal";
  }
  return "internal";
}

}  // namespace wasmlet
