// Text from outside (a guest's output, a request's id) made fit for an error
// message: printable ASCII as it is, a newline as \n, any other byte as \xNN,
// so a NUL cannot cut the message short nor a control byte reach a terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wasmlet::util {

// At most about `max` characters, then "...".
std::string printable(std::string_view text, size_t max = 300);

// The same for text shown as it is (a plugin's description): characters of
// valid UTF-8 are kept, control characters (C0, DEL, C1) and bytes that are
// not UTF-8 escaped as printable() does.
std::string terminal_text(std::string_view text, size_t max = 4096);

}  // namespace wasmlet::util
