// "sha256:<hex>" content digests.
#include "wasmlet/registry/digest.h"

#include <fmt/format.h>

#include <cctype>

#include "wasmlet/error.h"
#include "wasmlet/sha256.h"

namespace wasmlet::registry {

std::string sha256_digest(std::string_view bytes) { return "sha256:" + sha256_hex(bytes); }

std::string sha256_file_digest(const std::filesystem::path& file) { return "sha256:" + sha256_file_hex(file); }

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
