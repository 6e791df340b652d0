// Content digests ("sha256:<hex>"), computed with wasmlet/sha256.h.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace wasmlet::registry {

std::string sha256_digest(std::string_view bytes);
// Digest of a file's contents; throws naming the file if it can't be read.
std::string sha256_file_digest(const std::filesystem::path& file);
// Throws UsageError unless `digest` is "sha256:" + 64 lowercase hex digits.
void validate_digest(std::string_view digest);
// The hex part of "sha256:<hex>".
std::string_view digest_hex(std::string_view digest);

}  // namespace wasmlet::registry
