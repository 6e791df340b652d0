// Content digests ("sha256:<hex>") computed with OpenSSL's EVP interface.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace wasmlet::registry {

// Incremental sha256 for streamed blobs.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // "sha256:<64 lowercase hex>"; the object can't be updated afterwards.
  std::string digest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string sha256_digest(std::string_view bytes);
// Digest of a file's contents; throws naming the file if it can't be read.
std::string sha256_file_digest(const std::filesystem::path& file);
// Throws UsageError unless `digest` is "sha256:" + 64 lowercase hex digits.
void validate_digest(std::string_view digest);
// The hex part of "sha256:<hex>".
std::string_view digest_hex(std::string_view digest);

}  // namespace wasmlet::registry
