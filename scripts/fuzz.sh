#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, docs/fuzzing.md) with clang-19 +
# ASan + UBSan into ./build-fuzz and runs each for SECONDS (default 60),
# one after the other (0: only build them). The corpus each run grows is kept in
# build-fuzz/corpus/NAME (seeded from the test fixtures); a crashing input is
# saved as build-fuzz/crashes/NAME-crash-<sha1> and the script exits 1.
#   scripts/fuzz.sh [SECONDS] [NAME...]      e.g. scripts/fuzz.sh 600 registry
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS] [HARNESS...]" >&2; exit 2; }

build=build-fuzz
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DWASMLET_FUZZ=ON -DWASMLET_BUILD_TESTS=OFF -DWASMLET_BUILD_BENCH=OFF >/dev/null
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  harnesses=($(sed -n 's/^set(FUZZERS \(.*\))$/\1/p' fuzz/CMakeLists.txt))
fi
cmake --build "$build" --target fuzz_seeds "${harnesses[@]/#/fuzz_}"
[ "$seconds" -eq 0 ] && exit 0

mkdir -p "$build/corpus" "$build/crashes" "$build/logs"
# The fuzzers' own limits: 2 GiB RSS, 10 s per input. The module fuzzer's
# guests get a 16 MiB memory limit and fuel (see fuzz/module_fuzzer.cpp).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=()
for name in "${harnesses[@]}"; do
  corpus="$build/corpus/$name"
  mkdir -p "$corpus"
  log="$build/logs/$name.log"
  echo "fuzz: $name for ${seconds}s (log: $log)"
  status=0
  "$build/fuzz/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$name-" "$corpus" "$build/fuzz-seeds/$name" >"$log" 2>&1 || status=$?
  # libFuzzer's last status line: "#N DONE cov: C ft: F corp: ..." and its final stats.
  summary=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  echo "fuzz: $name: ${summary:-no status line}"
  if [ $status -ne 0 ]; then
    echo "fuzz: $name FAILED (exit $status); the end of its log:" >&2
    tail -40 "$log" >&2
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]} (inputs in $build/crashes/)" >&2
  exit 1
fi
