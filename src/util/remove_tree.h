// Deleting a directory tree that someone else filled: a guest's tmpfs mount
// or named volume. std::filesystem::remove_all holds one fd per level, so a
// tree deeper than RLIMIT_NOFILE (a guest can make one 20,000 levels deep in
// seconds) could not be removed, and the walk briefly held thousands of fds
// the rest of the process needed. This walk holds at most three, at any depth.
#pragma once

#include <filesystem>
#include <system_error>

namespace wasmlet::util {

// Deletes `root` and everything beneath it. Symlinks are deleted, never
// followed; the walk stays on root's file system (another one mounted inside
// is EXDEV) and never climbs above root. Nothing there is success. On a
// failure the walk stops and returns why; what it had deleted stays deleted.
// Nobody may change the tree meanwhile: a change it notices (a directory
// moved away beneath it) stops it with ESTALE.
std::error_code remove_tree(const std::filesystem::path& root);

}  // namespace wasmlet::util
