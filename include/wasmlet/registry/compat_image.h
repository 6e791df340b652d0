// The "compat" form of a WebAssembly image that every container engine can
// unpack (containerd, CRI-O, podman): an ordinary OCI image whose one layer
// holds the .wasm, whose config's Entrypoint names it, with platform
// wasip1|wasip2/wasm and the manifest annotation module.wasm.image/variant=compat
// (crun's and wasmlet-oci's cue). Also writable as an OCI layout tar, which
// `ctr images import`, `podman load -i` and `skopeo copy oci-archive:` accept.
#pragma once

#include <string>
#include <string_view>

#include "wasmlet/registry/descriptor.h"

namespace wasmlet::registry {

inline constexpr const char* kCompatVariantAnnotation = "module.wasm.image/variant";

struct CompatImage {
  std::string layer, config, manifest;  // blob bytes
  Descriptor layer_descriptor, config_descriptor, manifest_descriptor;
  std::string entrypoint;               // "/hello.wasm"
};

// `file_name` is the module's name inside the image ("hello.wasm"); the layer
// is gzip-compressed when `gzip_layer`. Throws UsageError (naming `source`)
// if `wasm` is not a WebAssembly binary or the name is not a plain file name.
CompatImage build_compat_image(std::string_view wasm, const std::string& source, const std::string& file_name,
                               bool gzip_layer);

// An OCI image layout (oci-layout, index.json, blobs/) as one tar, the
// manifest named `reference` (a full reference such as docker.io/library/hello:1).
std::string oci_layout_tar(const CompatImage& image, const std::string& reference);

}  // namespace wasmlet::registry
