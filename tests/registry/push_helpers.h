// Test support: pushing arbitrary manifests (other tools' layouts) with the client.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/distribution_client.h"

namespace wasmlet::registry::testing {

struct RawImage {
  std::string config_type;
  std::string config;
  std::vector<std::pair<std::string, std::string>> layers;  // media type, bytes
};

inline nlohmann::json push_raw(DistributionClient& client, const Reference& ref, const RawImage& img,
                               const std::string& tag_or_digest = {}) {
  client.push_blob(ref, sha256_digest(img.config), img.config);
  nlohmann::json m = {{"schemaVersion", 2},
                      {"mediaType", kOciManifest},
                      {"config", {{"mediaType", img.config_type}, {"digest", sha256_digest(img.config)}, {"size", img.config.size()}}},
                      {"layers", nlohmann::json::array()}};
  for (auto& [type, bytes] : img.layers) {
    client.push_blob(ref, sha256_digest(bytes), bytes);
    m["layers"].push_back({{"mediaType", type}, {"digest", sha256_digest(bytes)}, {"size", bytes.size()}});
  }
  std::string body = m.dump();
  client.put_manifest(ref, tag_or_digest.empty() ? ref.tag : tag_or_digest, kOciManifest, body);
  return {{"mediaType", kOciManifest}, {"digest", sha256_digest(body)}, {"size", body.size()}};
}

}  // namespace wasmlet::registry::testing
