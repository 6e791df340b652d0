// Reading a whole file (a module, a component, a cached artifact) into
// memory in one go: its size first, then read(2) in large chunks, instead of
// a character at a time through an istreambuf_iterator, which took 40 ms of
// the 270 ms `wasmlet run` spends starting a 30 MB module. Files whose size
// is not known in advance (pipes, /proc) are read to their end too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace wasmlet::util {

// The whole file at `path` in `out`. False, with errno set, when it cannot
// be opened or read (`out` is then unspecified).
bool read_file_bytes(const std::filesystem::path& path, std::vector<uint8_t>& out);

}  // namespace wasmlet::util
