// SHA-256 (OpenSSL's EVP interface): the one hash wrapper of wasmlet, used
// for content digests (registry blobs, images) and cache keys (AOT artifacts).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace wasmlet {

// Incremental SHA-256 for streamed data.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // The 32-byte hash; the object can't be updated afterwards.
  std::array<std::uint8_t, 32> finish();
  // The hash as 64 lowercase hex digits (calls finish()).
  std::string hex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);
// Of a file's contents; throws Error naming the file if it can't be read.
std::string sha256_file_hex(const std::filesystem::path& file);
std::string to_hex(const std::uint8_t* bytes, std::size_t size);

}  // namespace wasmlet
