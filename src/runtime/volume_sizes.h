// A named volume's `size` belongs to the volume, not to the mount that gave
// it: it is kept at DATA_DIR/volume-sizes/NAME (the limit in bytes, as
// text), so a mount of the volume that gives no `size` is bounded too, by
// the size the volume was last started with, as a volume created with
// `docker volume create --opt size=...` is wherever it is mounted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace wasmlet::runtime {

// Records `bytes` as volume NAME's size (replacing one recorded before):
// written to a file of its own in DATA_DIR/volume-sizes.writing (not
// beside the records: any name there may be a volume's), synced and
// renamed in, so starts recording at once each land whole.
// Throws RuntimeError(Internal) naming the file when it cannot be written.
void record_volume_size(const std::filesystem::path& data_dir, const std::string& name, uint64_t bytes);
// The size recorded for volume NAME, if any. Throws RuntimeError(Internal)
// naming the file when one is there but unreadable: a mount must not go
// unbounded because its volume's record is damaged.
std::optional<uint64_t> recorded_volume_size(const std::filesystem::path& data_dir, const std::string& name);
// Forgets volume NAME's size (the volume is removed).
void forget_volume_size(const std::filesystem::path& data_dir, const std::string& name);

}  // namespace wasmlet::runtime
