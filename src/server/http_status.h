// The daemon's one table from an error's code (wasmlet/error.h) to the
// HTTP status of its answer.
#pragma once

#include "wasmlet/error.h"

namespace wasmlet::server {

// InvalidArgument 400, PermissionDenied 403, NotFound 404, Conflict 409,
// LimitExceeded, Compile, Link and GuestFailed 422 (the request was
// understood; the module, a limit or the guest made it fail), Unsupported 501, Unavailable 502
// (a registry or other upstream failed), Io and Internal 500.
int http_status(ErrorCode code);

}  // namespace wasmlet::server
