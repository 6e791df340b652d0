// The daemon's one table between an error's code (wasmlet/error.h) and the
// HTTP status of its answer, in both directions: the daemon answers by it,
// the client (client.cpp) turns an answer back into the same code.
#pragma once

#include <optional>
#include <string_view>

#include "wasmlet/error.h"

namespace wasmlet::server {

// InvalidArgument 400, PermissionDenied 403, NotFound 404, Conflict 409,
// LimitExceeded, Compile, Link and GuestFailed 422 (the request was
// understood; the module, a limit or the guest made it fail), Unsupported 501, Unavailable 502
// (a registry or other upstream failed), Io and Internal 500.
int http_status(ErrorCode code);

// The code whose to_string is `kind` ("compile", "not_found", ...); nullopt
// for any other word (a RuntimeError's finer kinds, e.g. "pull_failed").
std::optional<ErrorCode> error_code_from_kind(std::string_view kind);

// The code an answer's status stands for when its kind says nothing more:
// the inverse of http_status (422: GuestFailed; other statuses: Internal).
ErrorCode error_code_from_status(int status);

}  // namespace wasmlet::server
