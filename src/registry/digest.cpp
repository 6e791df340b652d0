// sha256 digests with OpenSSL EVP.
#include "wasmlet/registry/digest.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cctype>
#include <cstring>
#include <fstream>

#include "wasmlet/error.h"

namespace wasmlet::registry {

struct Sha256::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1)
    throw Error("OpenSSL: cannot initialise sha256");
}
Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size && EVP_DigestUpdate(ctx_->md, data, size) != 1) throw Error("OpenSSL: sha256 update failed");
}

std::string Sha256::digest() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out, &len) != 1) throw Error("OpenSSL: sha256 final failed");
  std::string s = "sha256:";
  static const char* hex = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    s += hex[out[i] >> 4];
    s += hex[out[i] & 15];
  }
  return s;
}

std::string sha256_digest(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.digest();
}

std::string sha256_file_digest(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  Sha256 h;
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    h.update(buf, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(fmt::format("error reading {}", file.string()));
  return h.digest();
}

void validate_digest(std::string_view digest) {
  bool ok = digest.size() == 71 && digest.substr(0, 7) == "sha256:";
  for (std::size_t i = 7; ok && i < digest.size(); ++i)
    ok = std::isxdigit(static_cast<unsigned char>(digest[i])) && !std::isupper(static_cast<unsigned char>(digest[i]));
  if (!ok) throw UsageError(fmt::format("invalid digest \"{}\": expected sha256:<64 lowercase hex digits>", digest));
}

std::string_view digest_hex(std::string_view digest) {
  auto colon = digest.find(':');
  return colon == std::string_view::npos ? digest : digest.substr(colon + 1);
}

}  // namespace wasmlet::registry
