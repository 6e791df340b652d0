// Spec files are UTF-8 (YAML's encoding, and JSON's, in which the CLI sends
// them to the daemon): a file in another encoding is refused naming the
// file, the line and the byte, before any parser sees it.
#include <fmt/format.h>

#include <algorithm>

#include "util/utf8.h"
#include "wasmlet/runtime/spec.h"

namespace wasmlet::runtime {

void check_spec_utf8(std::string_view text, const std::string& source) {
  size_t bad = 0;
  if (util::valid_utf8(text, &bad)) return;
  const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(bad), '\n'));
  const size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
  const size_t column = line_start == std::string_view::npos || bad == 0 ? bad + 1 : bad - line_start;
  throw RuntimeError(RuntimeError::Kind::InvalidSpec,
                     fmt::format("{}:{}: a spec file must be UTF-8 text, but byte 0x{:02x} (column {}) is not UTF-8; "
                                 "save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)",
                                 source, line, static_cast<unsigned char>(text[bad]), column));
}

}  // namespace wasmlet::runtime
