#include "http_status.h"

namespace wasmlet::server {

namespace {
constexpr ErrorCode kEveryCode[] = {ErrorCode::InvalidArgument, ErrorCode::NotFound,      ErrorCode::Conflict,
                                    ErrorCode::LimitExceeded,   ErrorCode::Unsupported,   ErrorCode::Compile,
                                    ErrorCode::Link,            ErrorCode::PermissionDenied, ErrorCode::GuestFailed,
                                    ErrorCode::Unavailable,     ErrorCode::Io,            ErrorCode::Internal};
}  // namespace

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

int http_status(runtime::RuntimeError::Kind kind) {
  if (kind == runtime::RuntimeError::Kind::ShuttingDown) return 503;
  return http_status(runtime::RuntimeError::error_code(kind));
}

int http_status(const Error& error) {
  if (const auto* e = dynamic_cast<const runtime::RuntimeError*>(&error)) return http_status(e->kind());
  return http_status(error.code());
}

const char* error_kind(const Error& error) {
  if (const auto* e = dynamic_cast<const runtime::RuntimeError*>(&error)) return to_string(e->kind());
  return to_string(error.code());
}

std::optional<ErrorCode> error_code_from_kind(std::string_view kind) {
  for (ErrorCode code : kEveryCode)
    if (kind == to_string(code)) return code;
  return std::nullopt;
}

ErrorCode error_code_from_status(int status) {
  switch (status) {
    case 400: return ErrorCode::InvalidArgument;
    case 401:
    case 403: return ErrorCode::PermissionDenied;
    case 404: return ErrorCode::NotFound;
    case 409: return ErrorCode::Conflict;
    case 422: return ErrorCode::GuestFailed;
    case 501: return ErrorCode::Unsupported;
    case 502:
    case 503: return ErrorCode::Unavailable;
    default: return ErrorCode::Internal;
  }
}

}  // namespace wasmlet::server
