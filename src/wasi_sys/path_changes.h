// Changes made through a guest path whose rules are part of the sandbox,
// not of either WASI front end: which inode a time change may touch, and
// which symlinks a guest may create. Preview1 (src/wasi) and the WASI 0.2
// host (src/component/wasi) both call these, so the rules exist once.
#pragma once

#include <time.h>

#include <string_view>

#include "wasi_sys/path_resolver.h"

namespace wasmlet::wasi_sys {

// Sets the access and modification times (utimensat's times[2], UTIME_NOW
// and UTIME_OMIT included) of `path` beneath dirfd. A final symlink is
// followed only if follow_final (or the path ends in "/"), and then only to
// a target beneath dirfd; otherwise the link itself changes.
ResolveStatus set_times_beneath(int dirfd, std::string_view path, bool follow_final, const timespec times[2]);

// Creates the symlink `at` -> `target`. An absolute target is refused with
// EPERM: inside the sandbox it can never resolve, on the host it would
// point somewhere real for whoever follows it.
ResolveStatus create_symlink(std::string_view target, const ParentDir& at);

}  // namespace wasmlet::wasi_sys
