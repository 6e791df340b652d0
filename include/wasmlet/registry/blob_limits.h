// How much of an image wasmlet accepts into memory. A registry chooses every
// size in a manifest and every byte of a blob; these bounds keep a hostile
// one from exhausting the memory of a pull, a run or a prune.
#pragma once

#include <cstdint>

namespace wasmlet::registry {

// Registries accept manifests up to 4 MiB (the OCI distribution spec's
// SHOULD, containerd's limit); a larger one is refused, not buffered.
inline constexpr std::uint64_t kMaxManifestBytes = std::uint64_t{4} << 20;
// An image config is a few KiB; 8 MiB leaves room for long histories.
inline constexpr std::uint64_t kMaxConfigBytes = std::uint64_t{8} << 20;
// The layer holding the module is read whole to take the module out, and a
// tar+gzip one inflated in memory: either is refused past 1 GiB (the module
// limit of wasmlet-oci), so a 16 MB gzip bomb is an error, not an OOM kill.
inline constexpr std::uint64_t kMaxLayerBytes = std::uint64_t{1} << 30;

}  // namespace wasmlet::registry
