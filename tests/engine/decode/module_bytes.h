// Hand-assembles small modules for the decoder tests: sections from their
// contents, so a test states exactly the bytes it feeds the decoder and can
// name the offset an error must report.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string_view>
#include <vector>

namespace wasmlet::testing {

using Bytes = std::vector<uint8_t>;

inline Bytes leb(uint64_t v) {
  Bytes out;
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    out.push_back(byte | (v ? 0x80 : 0));
  } while (v);
  return out;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes header() { return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }

inline Bytes section(uint8_t id, const Bytes& contents) { return cat({{id}, leb(contents.size()), contents}); }

// A vector: its length, then the items.
inline Bytes vec(std::initializer_list<Bytes> items) {
  Bytes out = leb(items.size());
  for (const Bytes& i : items) out.insert(out.end(), i.begin(), i.end());
  return out;
}

// A module with one function of type `type` (e.g. {0x60, 0, 1, 0x7f}) and the
// instructions `code` (ending in 0x0b); `sections` by id add imports, memories,
// globals... (ids 2 to 12 except 3 and 10, which this writes). code_offset is
// where the first instruction lands in the module.
struct OneFunction {
  Bytes bytes;
  size_t code_offset = 0;
};

inline OneFunction one_function(const Bytes& type, const Bytes& code, std::map<uint8_t, Bytes> sections = {},
                                const Bytes& locals = {0x00}) {
  static constexpr uint8_t kOrder[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11};
  sections[1] = cat({{0x01}, type});
  sections[3] = {0x01, 0x00};
  Bytes body = cat({locals, code});
  Bytes entry = cat({leb(body.size()), body});
  sections[10] = cat({{0x01}, entry});
  OneFunction out{header(), 0};
  for (uint8_t id : kOrder) {
    auto it = sections.find(id);
    if (it == sections.end()) continue;
    if (id == 10) {
      Bytes sizes = leb(it->second.size());
      out.code_offset = out.bytes.size() + 1 + sizes.size() + 1 + leb(body.size()).size() + locals.size();
    }
    Bytes s = section(id, it->second);
    out.bytes.insert(out.bytes.end(), s.begin(), s.end());
  }
  return out;
}

inline Bytes void_type() { return {0x60, 0x00, 0x00}; }
inline Bytes returns(uint8_t t) { return {0x60, 0x00, 0x01, t}; }

}  // namespace wasmlet::testing
