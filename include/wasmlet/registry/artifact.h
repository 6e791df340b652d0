// WebAssembly artifact layouts found in registries, and building the CNCF
// v0 artifact wasmlet pushes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "wasmlet/registry/descriptor.h"

namespace wasmlet::registry::media_type {
inline constexpr const char* kWasmConfigV0 = "application/vnd.wasm.config.v0+json";      // CNCF
inline constexpr const char* kWasmLayer = "application/wasm";                            // CNCF
inline constexpr const char* kComponentLayerV0 = "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm";
inline constexpr const char* kWasmConfigV1 = "application/vnd.wasm.config.v1+json";      // wasm-to-oci
inline constexpr const char* kWasmContentLayerV1 = "application/vnd.wasm.content.layer.v1+wasm";  // wasm-to-oci, Spin
inline constexpr const char* kSpinConfig = "application/vnd.fermyon.spin.application.v1+config";
inline constexpr const char* kSoloModuleLayer = "application/vnd.module.wasm.content.layer.v1+wasm";
inline constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kOciLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kDockerLayerTarGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
}  // namespace wasmlet::registry::media_type

namespace wasmlet::registry {

enum class ArtifactKind {
  CncfV0,              // config vnd.wasm.config.v0, one application/wasm layer
  ComponentLayerV0,    // bytecodealliance component layer
  WasmToOciV1,         // config vnd.wasm.config.v1, content.layer.v1
  Spin,                // Spin application: first content.layer.v1 wasm layer
  SoloModule,          // solo/Istio module.wasm.content.layer.v1
  SoloCompat,          // one tar+gzip layer holding plugin.wasm
  PlainImage,          // image config os wasi*/arch wasm, tar layer holding the .wasm
};
const char* to_string(ArtifactKind kind);

// Where the wasm bytes are.
struct WasmLocation {
  ArtifactKind kind;
  Descriptor layer;
  bool in_tar = false;       // layer is a tar (possibly gzip) archive
  std::string path_in_tar;   // entry to take ("" = the only .wasm in it)
  std::string wasi_version;  // "wasip1"/"wasip2" from the config, "" if it has none
};

// Classifies an image manifest given its config blob; throws RegistryError
// explaining why the image is not a WebAssembly artifact (naming `what`).
WasmLocation locate_wasm(const nlohmann::json& manifest, const std::string& config_bytes, const std::string& what);

// Picks the WebAssembly entry of an index (os wasip1/wasip2/wasi or
// architecture wasm); throws listing the platforms found otherwise.
Descriptor select_wasm_platform(const nlohmann::json& index, const std::string& what);

// Bytes of the wasm inside a (gzip-compressed or plain) tar layer.
std::string extract_wasm_from_tar(std::string_view layer, const std::string& path_in_tar, const std::string& what);
// The wasm bytes of a layer blob given its location.
std::string wasm_from_layer(std::string_view layer, const WasmLocation& location, const std::string& what);

// "wasip1" for a core module, "wasip2" for a component, "" if neither.
std::string wasi_version_of_binary(std::string_view wasm);

// The CNCF v0 artifact for one wasm binary.
struct BuiltArtifact {
  std::string config;     // JSON bytes
  std::string manifest;   // JSON bytes
  Descriptor config_descriptor, layer_descriptor, manifest_descriptor;
  std::string wasi_version;
};
// Throws UsageError (naming `source`) if `wasm` is not a wasm binary (Strict).
// Whether building an artifact insists on a WebAssembly header. Lenient is
// for the runtime, which stores what a spec names and reports a bad binary
// when an instance starts, naming the instance.
enum class WasmCheck { Strict, Lenient };
BuiltArtifact build_cncf_artifact(std::string_view wasm, const std::string& source, WasmCheck check = WasmCheck::Strict);

}  // namespace wasmlet::registry
