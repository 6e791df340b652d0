#include "engine/decode/byte_reader.h"

#include <fmt/format.h>

#include "util/utf8.h"

namespace wasmlet::decode {

void ByteReader::unexpected_end() const { throw_malformed(offset(), "unexpected end of the module's bytes"); }

uint32_t ByteReader::u32_slow() {
  size_t start = offset();
  uint32_t value = 0;
  for (unsigned i = 0; i < 5; ++i) {
    uint8_t byte = u8();
    if (i == 4) {
      if (byte & 0x80) throw_malformed(start, "integer representation too long (an unsigned 32-bit LEB128 has at most 5 bytes)");
      if (byte & 0x70) throw_malformed(start, "integer too large (does not fit in 32 bits)");
    }
    value |= uint32_t(byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) break;
  }
  return value;
}

// A signed LEB128 of at most `Bits` bits, sign-extended: at most
// ceil(Bits / 7) bytes, the unused high bits of the last one copies of its
// sign bit. `what` names the integer in the error for too many bytes.
template <unsigned Bits>
int64_t ByteReader::signed_leb(const char* what) {
  constexpr unsigned kBytes = (Bits + 6) / 7;                       // 5 for 32 and 33 bits, 10 for 64
  constexpr unsigned kLastBits = Bits - 7 * (kBytes - 1);           // the last byte's share: 4, 5, 1
  constexpr uint8_t kSign = uint8_t(1u << (kLastBits - 1));          // its sign bit: 0x08, 0x10, 0x01
  constexpr uint8_t kUnused = uint8_t(0x7f & ~(2 * kSign - 1));     // the bits above it: 0x70, 0x60, 0x7e
  const size_t start = offset();
  uint64_t value = 0;
  for (unsigned i = 0; i + 1 < kBytes; ++i) {
    const uint8_t byte = u8();
    value |= uint64_t(byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) {
      if (byte & 0x40) value |= ~uint64_t(0) << (7 * (i + 1));
      return int64_t(value);
    }
  }
  const uint8_t byte = u8();
  if (byte & 0x80)
    throw_malformed(start, fmt::format("integer representation too long ({} has at most {} bytes)", what, kBytes));
  if ((byte & kUnused) != ((byte & kSign) ? kUnused : 0))
    throw_malformed(start, fmt::format("integer too large (does not fit in {} bits)", Bits));
  value |= uint64_t(byte & (2 * kSign - 1)) << (7 * (kBytes - 1));
  if constexpr (Bits < 64) {
    if (byte & kSign) value |= ~uint64_t(0) << Bits;
  }
  return int64_t(value);
}

int32_t ByteReader::s32_slow() { return int32_t(signed_leb<32>("a signed 32-bit LEB128")); }
int64_t ByteReader::s64() { return signed_leb<64>("a signed 64-bit LEB128"); }
int64_t ByteReader::s33() { return signed_leb<33>("a block type index"); }

uint32_t ByteReader::count(size_t min_element_size) {
  size_t at = offset();
  uint32_t n = u32();
  if (min_element_size && n > remaining() / min_element_size)
    throw_malformed(at, fmt::format("length out of bounds: {} elements cannot fit in the {} bytes that remain", n,
                                    remaining()));
  return n;
}

std::string_view ByteReader::name() {
  size_t at = offset();
  uint32_t length = u32();
  if (length > remaining()) throw_malformed(at, fmt::format("length out of bounds: a name of {} bytes, {} remain", length, remaining()));
  auto text = bytes(length);
  if (!util::valid_utf8(text)) throw_malformed(at, "malformed UTF-8 encoding in a name");
  return {reinterpret_cast<const char*>(text.data()), text.size()};
}


}  // namespace wasmlet::decode
