#include "http_status.h"

namespace wasmlet::server {

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return 400;
    case ErrorCode::PermissionDenied: return 403;
    case ErrorCode::NotFound: return 404;
    case ErrorCode::Conflict: return 409;
    case ErrorCode::LimitExceeded:
    case ErrorCode::Compile:
    case ErrorCode::Link:
    case ErrorCode::GuestFailed: return 422;
    case ErrorCode::Unsupported: return 501;
    case ErrorCode::Unavailable: return 502;
    case ErrorCode::Io:
    case ErrorCode::Internal: return 500;
  }
  return 500;
}

}  // namespace wasmlet::server
