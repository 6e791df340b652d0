// The daemon's one table between an error's code (wasmlet/error.h), or a
// RuntimeError's kind, and the HTTP status of its answer, in both
// directions: the daemon answers every error by it, the client (client.cpp)
// turns an answer back into the same code.
#pragma once

#include <optional>
#include <string_view>

#include "wasmlet/error.h"
#include "wasmlet/runtime/types.h"

namespace wasmlet::server {

// InvalidArgument 400, PermissionDenied 403, NotFound 404, Conflict 409,
// LimitExceeded, Compile, Link and GuestFailed 422 (the request was
// understood; the module, a limit or the guest made it fail), Unsupported 501, Unavailable 502
// (a registry or other upstream failed), Io and Internal 500.
int http_status(ErrorCode code);

// A RuntimeError's status: its code's, except that ShuttingDown (code
// Unavailable, as the client reads it back) is 503, the daemon itself being
// unavailable for now rather than something upstream having failed.
int http_status(runtime::RuntimeError::Kind kind);

// What the daemon answers `error` with, for every error it meets: the
// status of its kind (a RuntimeError) or of its code, and the "kind" field,
// the RuntimeError's kind or else the code (to_string of either).
int http_status(const Error& error);
const char* error_kind(const Error& error);

// The code whose to_string is `kind` ("compile", "not_found", ...); nullopt
// for any other word (a RuntimeError's finer kinds, e.g. "pull_failed").
std::optional<ErrorCode> error_code_from_kind(std::string_view kind);

// The code an answer's status stands for when its kind says nothing more:
// the inverse of http_status (422: GuestFailed; other statuses: Internal).
ErrorCode error_code_from_status(int status);

}  // namespace wasmlet::server
