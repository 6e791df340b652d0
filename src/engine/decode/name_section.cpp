#include "engine/decode/name_section.h"

#include <fmt/format.h>

#include "engine/decode/byte_reader.h"

namespace wasmlet::decode {

std::vector<std::string> function_names(const Module& module, std::span<const uint8_t> wasm) {
  std::vector<std::string> names(module.functions.size());
  for (const CustomSection& section : module.custom_sections) {
    if (section.name != "name") continue;
    try {
      ByteReader in(section.contents.of(wasm), section.contents.offset);
      while (!in.at_end()) {
        const uint8_t id = in.u8();
        const uint32_t size = in.u32();
        ByteReader sub(in.bytes(size), in.offset() - size);
        if (id != 1) continue;
        const uint32_t count = sub.count(2);
        for (uint32_t i = 0; i < count; ++i) {
          const uint32_t index = sub.u32();
          const std::string_view name = sub.name();
          if (index < names.size() && names[index].empty()) names[index] = std::string(name);
        }
      }
    } catch (const DecodeError&) {
      // Keep what was read.
    }
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i].empty()) names[i] = fmt::format("func[{}]", i);
  return names;
}

}  // namespace wasmlet::decode
