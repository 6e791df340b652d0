#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer:
# everything (libwasmlet, the CLI, the tests) is built with
# -fsanitize=address,undefined into ./build-asan and ctest runs there.
# Code the AOT tier compiles at run time (cc on generated C, dlopened) is not
# instrumented; its guard-page traps arrive as SIGSEGV/SIGBUS, which
# wasmlet's handlers take over from ASan (allow_user_segv_handler).
# Not part of CI (see docs/fuzzing.md for why and what it costs); run it
# before declaring an engine, WASI or runtime change done.
#   scripts/sanitize.sh [CTEST ARGS...]     e.g. scripts/sanitize.sh -R Wasi
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-asan
# The component fixtures need jco (package-lock.json); without node_modules
# their tests are skipped, and the sanitizers would not see that code run.
if [ ! -x node_modules/.bin/jco ] && command -v npm >/dev/null; then
  npm ci --no-audit --no-fund --loglevel=silent || echo "sanitize: npm ci failed; component tests will be skipped" >&2
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWASMLET_SANITIZE=ON -DWASMLET_BUILD_BENCH=OFF >/dev/null
cmake --build "$build"
# LeakSanitizer is off: this run is about memory errors and undefined
# behaviour; the fuzzers (scripts/fuzz.sh) check for leaks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allow_user_segv_handler=1:abort_on_error=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 900 "$@"
