// Native code (AOT artifacts, hot code) is loaded into the process that runs
// guests, so it is loaded only from places no other user could have written:
// a cache directory writable by others would let them plant a library whose
// constructors run inside wasmlet (and a key is predictable from the module).
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

namespace wasmlet::detail::aot {

// Why `path` may not hold native code to load, "" if it may: it must be a
// directory or a regular file, not a symbolic link, owned by this process's
// user and not writable by its group or others. With `follow_link`, a
// symbolic link is judged by what it names instead.
std::string untrusted_reason(const std::filesystem::path& path, bool follow_link = false);

// The same for a cache's directory (which may be a link the user made) and
// the subdirectory `sub` of it (which may not).
std::string untrusted_cache_reason(const std::filesystem::path& cache_dir, const std::string& sub);

// Creates `dir` and its missing parents, each with mode 0700.
void create_private_dirs(const std::filesystem::path& dir, std::error_code& ec);

}  // namespace wasmlet::detail::aot
