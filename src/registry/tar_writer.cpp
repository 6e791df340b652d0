#include "registry/tar_writer.h"

#include <zlib.h>

#include <cstring>

#include <fmt/format.h>

#include "wasmlet/registry/registry_error.h"

namespace wasmlet::registry {

namespace {

constexpr size_t kBlock = 512;

void put_octal(char* field, size_t width, unsigned long long value) {
  // width-1 octal digits and a NUL, as ustar wants.
  std::string digits = fmt::format("{:0{}o}", value, width - 1);
  std::memcpy(field, digits.data(), width - 1);
}

}  // namespace

void TarWriter::add_file(const std::string& name, std::string_view content, unsigned mode) {
  if (name.empty() || name.size() > 100) throw RegistryError(fmt::format("tar: file name '{}' must be 1 to 100 bytes", name));
  char header[kBlock] = {};
  std::memcpy(header, name.data(), name.size());
  put_octal(header + 100, 8, mode);
  put_octal(header + 108, 8, 0);  // uid
  put_octal(header + 116, 8, 0);  // gid
  put_octal(header + 124, 12, content.size());
  put_octal(header + 136, 12, 0);  // mtime: fixed, so that the same input gives the same digest
  header[156] = '0';               // regular file
  std::memcpy(header + 257, "ustar", 6);
  std::memcpy(header + 263, "00", 2);
  std::memset(header + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  std::string checksum = fmt::format("{:06o}", sum);
  std::memcpy(header + 148, checksum.c_str(), 7);  // six digits, NUL, space
  out_.append(header, kBlock);
  out_.append(content);
  out_.append((kBlock - content.size() % kBlock) % kBlock, '\0');
}

std::string TarWriter::finish() {
  out_.append(2 * kBlock, '\0');
  return std::move(out_);
}

std::string gzip_compress(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw RegistryError("zlib: deflateInit2 failed");
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw RegistryError("zlib: gzip compression failed");
  return out;
}

}  // namespace wasmlet::registry
