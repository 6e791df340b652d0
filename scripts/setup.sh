#!/usr/bin/env bash
# Installs every dependency from Debian 12's packages (idempotent) and builds
# wasmlet into ./build. Run as root, or as a user who may sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  wabt                                   # libwabt.a, wasm2c runtime headers, wat2wasm
  clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32   # C -> wasm32-wasi for examples and tests
  libclang-rt-19-dev                     # libFuzzer, ASan and UBSan runtimes for scripts/fuzz.sh
  nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev libyaml-cpp-dev
  libcurl4-openssl-dev libssl-dev libsqlite3-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev hyperfine
  docker-registry skopeo apache2-utils   # a real OCI registry (and htpasswd) for the registry tests
  zlib1g-dev openssl                     # gzip layers of wasi/wasm images; test certificates for the token server
  nodejs npm                             # reference runs in bench/, jco for component fixtures
  containerd runc crun podman containernetworking-plugins   # wasmlet-oci under a private containerd and podman (tests/oci)
  man-db                                 # man -l and groff check the built man page (tests/cli)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may come from another repository than Debian's (as on these machines): a working node is enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# WASMLET_WERROR=ON (scripts/test.sh, so CI) makes warnings in wasmlet's own
# C++ errors; a user's build only shows them.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWASMLET_WERROR="${WASMLET_WERROR:-OFF}"
cmake --build build

# jco (pinned in package.json/package-lock.json) wraps the wasm32-wasi test
# programs into WASI 0.2 components for tests/component. Optional: without
# npm or the npm registry those fixtures are skipped and the rest still works.
if command -v npm >/dev/null; then
  # The lock file lists every platform's optional packages, so `npm ci`
  # installs exactly what it pins; `install` (same pins) is the fallback for
  # an npm that disagrees with the lock file's format.
  if npm ci --no-audit --no-fund --loglevel=silent || npm install --no-audit --no-fund --loglevel=error; then
    cmake -S . -B build >/dev/null && cmake --build build   # picks up node_modules/.bin/jco
  else
    echo "setup: installing jco from the npm registry failed; component fixtures (tests/component) will be skipped" >&2
  fi
else
  echo "setup: npm not found; component fixtures (tests/component) will be skipped" >&2
fi
