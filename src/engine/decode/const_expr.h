// Validates a constant expression (global initializers, segment offsets and
// element expressions): only constants, ref.null, ref.func, global.get of an
// immutable imported global and, with extended-const, integer add/sub/mul.
#pragma once

#include "engine/decode/byte_reader.h"
#include "engine/decode/decoded_module.h"
#include "engine/decode/features.h"

namespace wasmlet::decode {

// Reads the expression at `in` up to and including its `end`, checks it
// yields exactly one `expected`, and returns its byte range. Functions it
// references are marked in module.declared_function_refs.
ConstExpr read_const_expr(ByteReader& in, Module& module, ValType expected, const Features& features,
                          const char* what);

}  // namespace wasmlet::decode
