#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 600
cd ..
# Each libFuzzer harness briefly (docs/fuzzing.md), in build-fuzz (clang-19 +
# ASan + UBSan). `module` and `aot_codegen` join once wasmlet's own decoder
# guards Module::compile (issue 12, defect 2): today a corrupt module aborts
# them within seconds.
./scripts/fuzz.sh 20 component canonical_abi path_resolver registry plugin_json
