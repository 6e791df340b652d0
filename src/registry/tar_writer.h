// Writes a plain POSIX ustar archive of regular files in memory (image
// layers and OCI layout tars).
#pragma once

#include <string>
#include <string_view>

namespace wasmlet::registry {

class TarWriter {
 public:
  // Adds a regular file (mode 0644 unless given); `name` at most 100 bytes.
  void add_file(const std::string& name, std::string_view content, unsigned mode = 0644);
  // The archive, with its two zero end blocks.
  std::string finish();

 private:
  std::string out_;
};

// gzip (RFC 1952) of `data`.
std::string gzip_compress(std::string_view data);

}  // namespace wasmlet::registry
