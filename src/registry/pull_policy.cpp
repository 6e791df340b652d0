// Pull, load and push of images.
#include "wasmlet/registry/pull_policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "util/file_lock.h"
#include "wasmlet/registry/blob_limits.h"
#include "wasmlet/registry/compat_image.h"
#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/registry_error.h"

namespace wasmlet::registry {

namespace {

// Makes sure the store holds `blob` intact; returns true if it was downloaded.
bool ensure_blob(ImageStore& store, DistributionClient& client, const Reference& ref, const Descriptor& blob) {
  auto lock = store.lock_blob(blob.digest);
  if (store.has_valid_blob(blob.digest)) return false;
  auto tmp = store.temp_path(std::string(digest_hex(blob.digest)));
  client.fetch_blob(ref, blob, tmp);  // verifies while streaming
  store.adopt_blob(blob.digest, tmp);
  return true;
}

}  // namespace

PullResult pull_image(ImageStore& store, DistributionClient& client, const Reference& ref) {
  PullResult result;
  result.pulled = true;
  auto writing = store.writer_lock();
  Manifest top = client.get_manifest(ref);
  Manifest manifest = top;
  if (is_index_media_type(top.media_type) || top.json.contains("manifests")) {
    Descriptor chosen = select_wasm_platform(top.json, ref.str());
    manifest = client.get_manifest(ref, chosen.digest);
  }
  if (is_index_media_type(manifest.media_type))
    throw RegistryError(fmt::format("{}: the wasm platform entry of the index is itself an index", ref.str()));
  if (!manifest.json.contains("config"))
    throw RegistryError(fmt::format("{} (registry {}): the manifest has no config (media type {})", ref.str(), ref.registry,
                                    manifest.media_type));
  Descriptor config = Descriptor::from_json(manifest.json["config"], ref.str() + " (config)");
  if (config.size > kMaxConfigBytes)
    throw RegistryError(fmt::format("{} (registry {}): the config blob {} is {} bytes, more than the {} wasmlet accepts",
                                    ref.str(), ref.registry, config.digest, config.size, kMaxConfigBytes),
                        ErrorCode::LimitExceeded);
  if (ensure_blob(store, client, ref, config)) result.fetched_blobs.push_back(config.digest);
  std::string config_bytes = store.read_blob(config.digest, kMaxConfigBytes, ref.str());
  WasmLocation loc = locate_wasm(manifest.json, config_bytes, ref.str());
  if (loc.layer.size > kMaxLayerBytes)  // it is read whole to take the module out
    throw RegistryError(fmt::format("{} (registry {}): the layer {} holding the module is {} bytes, more than the {} wasmlet reads",
                                    ref.str(), ref.registry, loc.layer.digest, loc.layer.size, kMaxLayerBytes),
                        ErrorCode::LimitExceeded);

  std::uint64_t size = manifest.bytes.size() + config.size;
  // All layers are kept so the stored image is a complete OCI image (skopeo can copy it on).
  for (auto& l : manifest.json["layers"]) {
    Descriptor d = Descriptor::from_json(l, ref.str() + " (layer)");
    if (ensure_blob(store, client, ref, d)) result.fetched_blobs.push_back(d.digest);
    size += d.size;
  }
  std::string wasi = loc.wasi_version;
  if (wasi.empty()) wasi = wasi_version_of_binary(wasm_from_layer(store.read_blob(loc.layer.digest, kMaxLayerBytes, ref.str()), loc, ref.str()));
  {
    auto lock = store.lock_blob(manifest.digest);
    if (!store.has_valid_blob(manifest.digest)) {
      store.write_blob(manifest.digest, manifest.bytes);
      result.fetched_blobs.push_back(manifest.digest);
    }
  }
  Descriptor md{manifest.media_type, manifest.digest, manifest.bytes.size(), {}, nullptr};
  md.annotations[kWasiAnnotation] = wasi;
  md.annotations[kKindAnnotation] = to_string(loc.kind);
  md.annotations[kSizeAnnotation] = std::to_string(size);
  store.set_reference(ref.str(), md);
  result.image = store.find(ref);
  return result;
}

PullResult pull_image_with_policy(ImageStore& store, DistributionClient& client, const Reference& ref, PullPolicy policy) {
  if (policy == PullPolicy::Never) {
    PullResult r;
    r.image = store.find(ref);
    return r;
  }
  if (policy == PullPolicy::IfNotPresent) {
    if (auto existing = store.find(ref)) {
      bool intact = false;
      try {
        intact = store.damaged_blobs(*existing).empty();
      } catch (const RegistryError&) {
      }
      if (intact) {
        PullResult r;
        r.image = existing;
        return r;
      }
    }
  }
  return pull_image(store, client, ref);
}

ImageRecord load_wasm(ImageStore& store, std::string_view wasm, const std::string& source, const Reference& ref,
                      WasmCheck check) {
  return load_wasm(store, wasm, source, ref.str(), check);
}

ImageRecord load_wasm(ImageStore& store, std::string_view wasm, const std::string& source, const std::string& reference,
                      WasmCheck check) {
  std::string name = ImageStore::stored_name(reference);
  BuiltArtifact a = build_cncf_artifact(wasm, source, check);
  check_reference_digest(name, a.manifest_descriptor.digest, "load");
  auto writing = store.writer_lock();
  store.write_blob(a.layer_descriptor.digest, wasm);
  store.write_blob(a.config_descriptor.digest, a.config);
  store.write_blob(a.manifest_descriptor.digest, a.manifest);
  Descriptor md = a.manifest_descriptor;
  md.annotations[kWasiAnnotation] = a.wasi_version;
  md.annotations[kKindAnnotation] = to_string(ArtifactKind::CncfV0);
  md.annotations[kSizeAnnotation] = std::to_string(a.manifest.size() + a.config.size() + wasm.size());
  store.set_reference(name, md);
  return *store.find(name);
}

std::string push_wasm(DistributionClient& client, std::string_view wasm, const std::string& source, const Reference& ref) {
  BuiltArtifact a = build_cncf_artifact(wasm, source);
  check_reference_digest(ref.str(), a.manifest_descriptor.digest, "push");
  client.push_blob(ref, a.layer_descriptor.digest, wasm);
  client.push_blob(ref, a.config_descriptor.digest, a.config);
  return client.put_manifest(ref, ref.tag.empty() ? a.manifest_descriptor.digest : ref.tag, a.manifest_descriptor.media_type,
                             a.manifest);
}

std::string push_compat_image(DistributionClient& client, std::string_view wasm, const std::string& source,
                              const std::string& file_name, bool gzip_layer, const Reference& ref) {
  CompatImage image = build_compat_image(wasm, source, file_name, gzip_layer);
  check_reference_digest(ref.str(), image.manifest_descriptor.digest, "push");
  client.push_blob(ref, image.layer_descriptor.digest, image.layer);
  client.push_blob(ref, image.config_descriptor.digest, image.config);
  return client.put_manifest(ref, ref.tag.empty() ? image.manifest_descriptor.digest : ref.tag,
                             image.manifest_descriptor.media_type, image.manifest);
}

}  // namespace wasmlet::registry
