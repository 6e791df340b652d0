// A seam for tests of requests that race the runtime's shutdown.
#pragma once

#include <functional>

namespace wasmlet::runtime::test_hooks {

// When set, run once (and cleared first) right after a WasmRuntime
// operation's first shutting-down check has passed, before it takes the
// instance table's lock (for an operation on an instance: once the instance
// is found, before it is acted on): a test calls shutdown() from it to land
// the shutdown exactly in that window. Tests only; not thread-safe; never
// set in wasmlet.
extern std::function<void()> after_first_shutdown_check;

}  // namespace wasmlet::runtime::test_hooks
