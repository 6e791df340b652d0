// Kubernetes-style sizes ("64Mi", "1Gi"), as in the zlayer spec.
#pragma once

#include <cstdint>
#include <string_view>

namespace wasmlet {

// Ki, Mi, Gi, Ti suffixes; surrounding white space allowed. Throws UsageError
// naming the input for anything else (no suffix, bad number, overflow).
uint64_t parse_byte_size(std::string_view text);

}  // namespace wasmlet
