// Running work on a thread whose stack size wasmlet chooses, whatever thread
// asked for it (the daemon's and plugins' threads may have small stacks).
#pragma once

#include <cstddef>
#include <functional>

namespace wasmlet::detail {

// The stack that code recursing once per nesting level runs on (module
// compiles, the AOT tier's C generation), whatever thread asked for it: the
// decoder bounds nesting at limits::kControlDepth (10,000) levels, and at
// that depth this is several times what the deepest recursion (wabt's C
// writer, over 6 KiB per level) takes. Reserved, committed only as used.
inline constexpr size_t kCompileStackBytes = size_t{64} << 20;

// Runs `work` on a new thread with a stack of `bytes` (reserved, committed
// only as used) and waits for it; rethrows whatever `work` threw.
void run_on_own_stack(size_t bytes, const std::function<void()>& work);

}  // namespace wasmlet::detail
