// Test support: a registry on 127.0.0.1 that serves whatever a test hands it
// (manifests and blobs, well-formed or hostile), for the client's defences
// against a malicious registry (review 36). Tests add their own routes for
// odd behaviour (endless bodies, lying headers) before start().
#pragma once

#include <httplib.h>
#include <openssl/sha.h>

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace wasmlet::registry::testing {

inline std::string sha256_of(const std::string& bytes) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  std::string out = "sha256:";
  for (unsigned char c : md) out += fmt::format("{:02x}", c);
  return out;
}

class HostileRegistry {
 public:
  HostileRegistry() { port_ = server.bind_to_any_port("127.0.0.1"); }
  ~HostileRegistry() {
    server.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Serves the manifests and blobs added below after the test's own routes.
  void start() {
    server.Get(R"(/v2/([^/]+/[^/]+)/manifests/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      auto it = manifests_.find(req.matches[1].str() + "|" + req.matches[2].str());
      if (it == manifests_.end()) return not_found(res);
      res.set_content(it->second, "application/vnd.oci.image.manifest.v1+json");
    });
    server.Get(R"(/v2/[^/]+/[^/]+/blobs/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      auto it = blobs_.find(req.matches[1].str());
      if (it == blobs_.end()) return not_found(res);
      res.set_content(it->second, "application/octet-stream");
    });
    thread_ = std::thread([this] { server.listen_after_bind(); });
  }

  // "127.0.0.1:PORT/<repository>:<tag>".
  std::string ref(const std::string& repository_and_tag) const { return fmt::format("127.0.0.1:{}/{}", port_, repository_and_tag); }
  int port() const { return port_; }

  // Serves `bytes` at /v2/*/blobs/<its digest>; returns the digest.
  std::string add_blob(const std::string& bytes) {
    std::lock_guard lock(mutex_);
    std::string digest = sha256_of(bytes);
    blobs_[digest] = bytes;
    return digest;
  }
  // Serves `bytes` as the manifest <repository>:<tag> and as <repository>@<its digest>.
  void add_manifest(const std::string& repository, const std::string& tag, const std::string& bytes) {
    std::lock_guard lock(mutex_);
    manifests_[repository + "|" + tag] = bytes;
    manifests_[repository + "|" + sha256_of(bytes)] = bytes;
  }
  // An OCI image manifest with this config and these layers (descriptors as JSON).
  static std::string image_manifest(const nlohmann::json& config, const std::vector<nlohmann::json>& layers) {
    return nlohmann::json{{"schemaVersion", 2},
                          {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                          {"config", config},
                          {"layers", nlohmann::json(layers)}}
        .dump();
  }
  // A descriptor of `bytes`, which are served as a blob.
  nlohmann::json blob_descriptor(const std::string& media_type, const std::string& bytes) {
    return {{"mediaType", media_type}, {"digest", add_blob(bytes)}, {"size", bytes.size()}};
  }

  httplib::Server server;

 private:
  static void not_found(httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"errors":[{"code":"NOT_FOUND","message":"unknown"}]})", "application/json");
  }
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, std::string> manifests_, blobs_;
};

// "[[[...]]]" nested `depth` levels.
inline std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace wasmlet::registry::testing
