// Linked into every test program: the auto tier (the CLI's default) caches
// native code and compiles modules in the background (docs/aot.md). Tests
// use a cache of the build's own and start no background compiles, unless
// a test asks for them (or the environment already says otherwise).
#include <cstdlib>

namespace {

const bool kTestEnvironment = [] {
  ::setenv("WASMLET_CACHE_DIR", TEST_CACHE_DIR, /*overwrite=*/0);
  ::setenv("WASMLET_AOT_BACKGROUND_JOBS", "0", /*overwrite=*/0);
  return true;
}();

}  // namespace
