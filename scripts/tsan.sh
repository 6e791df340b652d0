#!/usr/bin/env bash
# ThreadSanitizer over the tests where threads share state: instances of one
# module on many threads, stop/kill/interrupt from another thread, the
# runtime's workloads, logs and compile cache, the plugin host, blocking WASI
# calls woken by an interrupt. Everything is built with -fsanitize=thread into
# ./build-tsan (the tsan preset). Code the AOT tier compiles at run time is
# not instrumented. Not part of CI (a TSan build of these targets takes about
# as long as the whole CI run); run it after changing anything threads share.
#   scripts/tsan.sh [CTEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-tsan
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWASMLET_TSAN=ON -DWASMLET_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target engine_tests aot_stop_tests runtime_tests plugin_tests wasi_tests wasi_sys_tests
suites='Concurrency|Lifecycle|LogStore|DaemonErrors|Interrupt|Timeout|Lifetime|AotStop|Linking|PluginHost|PluginCapabilities|WasiPoll|WasiSocket|WasiSysWait|AutoTier'
# Left out: the tests that stop native (AOT) guest code with a signal.
# ThreadSanitizer runs an asynchronous signal's handler only when the thread
# next calls a function it intercepts, which guest code in a loop never does,
# so the deadline or interrupt never arrives and those tests would hang
# (docs/fuzzing.md). Their interpreter variants run. (A parameterized test's
# name goes on with "  # GetParam() = ...".)
signal_stops='^(Timeout|Interrupt)\..*/aot( |$)|^AotStop\.(TimeoutStopsGuestCodeThatHasNoChecks|InterruptReachesRecursionWithoutLoops|EightThreadsWithTheirOwnDeadlinesStopIndependently)$'
# halt_on_error: a race fails the test that found it instead of scrolling by.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 600 -R "^($suites)\." -E "$signal_stops" "$@"
