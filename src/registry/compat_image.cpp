// Building the compat image form (see wasmlet/registry/compat_image.h).
#include "wasmlet/registry/compat_image.h"

#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "registry/tar_writer.h"
#include "wasmlet/error.h"
#include "wasmlet/registry/artifact.h"
#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/distribution_client.h"
#include "wasmlet/registry/image_store.h"

namespace wasmlet::registry {

CompatImage build_compat_image(std::string_view wasm, const std::string& source, const std::string& file_name,
                               bool gzip_layer) {
  std::string wasi_version = wasi_version_of_binary(wasm);
  if (wasi_version.empty())
    throw UsageError(fmt::format("{} is not a WebAssembly binary (no \\0asm header with a module or component version)", source));
  if (file_name.empty() || file_name.find('/') != std::string::npos || file_name == "." || file_name == "..")
    throw UsageError(fmt::format("'{}' is not a plain file name for the module inside the image", file_name));
  CompatImage image;
  image.entrypoint = "/" + file_name;
  TarWriter tar;
  tar.add_file(file_name, wasm, 0755);
  std::string layer_tar = tar.finish();
  std::string diff_id = sha256_digest(layer_tar);
  image.layer = gzip_layer ? gzip_compress(layer_tar) : std::move(layer_tar);
  image.layer_descriptor = {gzip_layer ? media_type::kOciLayerTarGzip : media_type::kOciLayerTar,
                            sha256_digest(image.layer), image.layer.size(), {}, nullptr};

  std::time_t now = std::time(nullptr);
  char created[32];
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  nlohmann::json config = {{"created", created},
                           {"architecture", "wasm"},
                           {"os", wasi_version},
                           {"config", {{"Entrypoint", {image.entrypoint}}, {"Env", {"PATH=/"}}}},
                           {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}}};
  image.config = config.dump();
  image.config_descriptor = {media_type::kOciConfig, sha256_digest(image.config), image.config.size(), {}, nullptr};
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", kOciManifest},
                             {"config", image.config_descriptor.to_json()},
                             {"layers", {image.layer_descriptor.to_json()}},
                             {"annotations", {{kCompatVariantAnnotation, "compat"}, {"org.opencontainers.image.created", created}}}};
  image.manifest = manifest.dump();
  image.manifest_descriptor = {kOciManifest, sha256_digest(image.manifest), image.manifest.size(), {}, nullptr};
  return image;
}

std::string oci_layout_tar(const CompatImage& image, const std::string& reference) {
  TarWriter tar;
  tar.add_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  nlohmann::json manifest_entry = image.manifest_descriptor.to_json();
  // containerd reads its own name annotation; podman and skopeo the OCI one.
  manifest_entry["annotations"] = {{kRefNameAnnotation, reference}, {"io.containerd.image.name", reference}};
  nlohmann::json index = {{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", {manifest_entry}}};
  tar.add_file("index.json", index.dump());
  auto blob = [&](const Descriptor& d, std::string_view bytes) {
    tar.add_file("blobs/sha256/" + d.digest.substr(d.digest.find(':') + 1), bytes);
  };
  blob(image.config_descriptor, image.config);
  blob(image.layer_descriptor, image.layer);
  blob(image.manifest_descriptor, image.manifest);
  return tar.finish();
}

}  // namespace wasmlet::registry
