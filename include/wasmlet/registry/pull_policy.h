// Pulling images into the store per a PullPolicy (wasmlet/pull_policy.h),
// loading and pushing them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasmlet/registry/auth.h"
#include "wasmlet/registry/distribution_client.h"
#include "wasmlet/registry/image_store.h"
#include "wasmlet/pull_policy.h"

namespace wasmlet::registry {

using wasmlet::PullPolicy;
using wasmlet::parse_pull_policy;

struct PullResult {
  std::optional<ImageRecord> image;         // empty only for Never when nothing is stored
  bool pulled = false;                      // false: the store already had it (or Never)
  std::vector<std::string> fetched_blobs;   // digests this call downloaded
};

// Fetches the manifest (an index is resolved to its wasm platform), config and
// layers into the store and points `ref` at the manifest. Blobs the store
// already holds intact are not fetched again; corrupt ones are refetched.
PullResult pull_image(ImageStore& store, DistributionClient& client, const Reference& ref);

// Never: never contacts the registry; returns the stored image if any (as in
// the seed, a missing image is not an error here: whoever needs it fails later).
// IfNotPresent: pull only if the reference is absent or damaged.
// Always: pull (the manifest is re-resolved; unchanged blobs aren't refetched).
PullResult pull_image_with_policy(ImageStore& store, DistributionClient& client, const Reference& ref,
                                  PullPolicy policy);

// Builds the CNCF artifact for `wasm`, stores it and points `ref` at it.
ImageRecord load_wasm(ImageStore& store, std::string_view wasm, const std::string& source, const Reference& ref,
                      WasmCheck check = WasmCheck::Strict);
// The same under any name the store accepts (ImageStore::stored_name), a local file reference too.
ImageRecord load_wasm(ImageStore& store, std::string_view wasm, const std::string& source, const std::string& reference,
                      WasmCheck check = WasmCheck::Strict);
// Uploads `wasm` as a CNCF artifact; returns the manifest digest.
std::string push_wasm(DistributionClient& client, std::string_view wasm, const std::string& source,
                      const Reference& ref);
// Uploads `wasm` as a compat image (wasmlet/registry/compat_image.h): one
// layer (gzip when `gzip_layer`) holding `file_name`, Entrypoint set to it.
// Returns the manifest digest.
std::string push_compat_image(DistributionClient& client, std::string_view wasm, const std::string& source,
                              const std::string& file_name, bool gzip_layer, const Reference& ref);

}  // namespace wasmlet::registry
