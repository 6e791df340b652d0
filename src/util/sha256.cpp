#include "wasmlet/sha256.h"

#include <fmt/format.h>
// OpenSSL's one-algorithm SHA-256 rather than EVP: EVP first loads
// openssl.cnf and builds the provider name maps (~5 million instructions),
// which was the largest part of a warm `wasmlet run --tier aot` start (the
// AOT cache key is a SHA-256). Deprecated in OpenSSL 3.0, still supported.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "wasmlet/error.h"

namespace wasmlet {

struct Sha256::Ctx {
  SHA256_CTX sha;
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  if (SHA256_Init(&ctx_->sha) != 1) throw Error("OpenSSL: cannot initialise sha256");
}
Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size && SHA256_Update(&ctx_->sha, data, size) != 1) throw Error("OpenSSL: sha256 update failed");
}

std::array<std::uint8_t, 32> Sha256::finish() {
  std::array<std::uint8_t, 32> out{};
  if (SHA256_Final(out.data(), &ctx_->sha) != 1) throw Error("OpenSSL: sha256 final failed");
  return out;
}

std::string Sha256::hex() {
  auto bytes = finish();
  return to_hex(bytes.data(), bytes.size());
}

std::string to_hex(const std::uint8_t* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    s += kDigits[bytes[i] >> 4];
    s += kDigits[bytes[i] & 15];
  }
  return s;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hex();
}

std::string sha256_file_hex(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  Sha256 h;
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    h.update(buf, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(fmt::format("error reading {}", file.string()));
  return h.hex();
}

}  // namespace wasmlet
