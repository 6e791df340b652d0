#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the bundled example: a C
# program compiled to wasm32-wasi, run by `wasmlet run` with a preopened
# directory, arguments and environment.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp examples/hello/notes.txt "$work/"
echo "+ wasmlet run --dir $work::/data --env GREETING=hello build/wasm/hello.wasm -- world /data/notes.txt"
build/bin/wasmlet run --dir "$work::/data" --env GREETING=hello build/wasm/hello.wasm -- world /data/notes.txt
echo "+ cat $work/report.txt   (written by the guest)"
cat "$work/report.txt"
