// Whole files in and out. One is read (a module, a component, a cached
// artifact) into memory in one go: its size first, then read(2) in large
// chunks, instead of a character at a time through an istreambuf_iterator,
// which took 40 ms of the 270 ms `wasmlet run` spends starting a 30 MB
// module. Files whose size is not known in advance (pipes, /proc) are read
// to their end too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace wasmlet::util {

// The whole file at `path` in `out`. False, with errno set, when it cannot
// be opened or read (`out` is then unspecified).
bool read_file_bytes(const std::filesystem::path& path, std::vector<uint8_t>& out);

// Writes all of `text` to `fd` (retrying short and interrupted writes), then
// fsync(2)s it: a file written aside and renamed over a record is synced
// first, so that a crash leaves the old record or the new one, never an
// empty one (ext4 may commit the rename first). False, with errno set, if a
// write or the sync fails; `fd` stays open either way.
bool write_all_and_sync(int fd, std::string_view text);

}  // namespace wasmlet::util
