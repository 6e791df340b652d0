#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# Warnings in wasmlet's own C++ fail CI's build (not a user's).
WASMLET_WERROR=ON ./scripts/setup.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 600
cd ..
# Each libFuzzer harness briefly (docs/fuzzing.md), in build-fuzz (clang-19 +
# ASan + UBSan). Longer runs: scripts/fuzz.sh 600 NAME.
./scripts/fuzz.sh 20 module aot_codegen component canonical_abi path_resolver registry plugin_json wast fusion
