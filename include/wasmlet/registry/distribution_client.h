// OCI distribution API client: manifests, blobs (verified while streaming),
// uploads (monolithic or chunked), anonymous/Basic/Bearer auth.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wasmlet/registry/auth.h"
#include "wasmlet/registry/descriptor.h"
#include "wasmlet/registry/http_transport.h"
#include "wasmlet/registry/progress.h"
#include "wasmlet/registry/reference.h"

namespace wasmlet::registry {

struct ClientOptions {
  // Registries reached over plain HTTP besides loopback ones ("host[:port]").
  std::vector<std::string> insecure_registries;
  // Inline credentials (used for every registry this client talks to).
  std::optional<Credentials> credentials;
  // Looked up by registry when no inline credentials are given.
  const CredentialStore* credential_store = nullptr;
  RetryPolicy retry;
  TransferDeadline deadline;
  // Uploads larger than this go in PATCH chunks of this size; 0 = monolithic.
  std::uint64_t chunk_size = 0;
  Progress* progress = nullptr;
  // When it turns true, transfers under way end and none begin (HttpTransport).
  const std::atomic<bool>* cancel = nullptr;
  std::string user_agent = "wasmlet/0.1";
};

struct Manifest {
  std::string media_type;  // from the document, else Content-Type
  std::string digest;      // sha256 of `bytes`
  std::string bytes;
  nlohmann::json json;
};

// Manifest media types accepted on GET.
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
bool is_index_media_type(std::string_view media_type);

class DistributionClient {
 public:
  explicit DistributionClient(ClientOptions options = {});
  ~DistributionClient();

  // "http://127.0.0.1:5000" or "https://ghcr.io".
  std::string base_url(const Reference& ref) const;

  // GET a manifest or index by tag or digest (`tag_or_digest` defaults to the
  // reference's). Verifies the digest when fetched by digest.
  Manifest get_manifest(const Reference& ref, const std::string& tag_or_digest = {});
  // Downloads a blob into `dest`, verifying its sha256 while streaming; a
  // mismatch throws DigestMismatchError and leaves no file behind.
  void fetch_blob(const Reference& ref, const Descriptor& blob, const std::filesystem::path& dest);
  std::string fetch_blob_bytes(const Reference& ref, const Descriptor& blob);
  bool blob_exists(const Reference& ref, const std::string& digest);
  // Uploads unless the registry already has it. Returns true if uploaded.
  bool push_blob(const Reference& ref, const std::string& digest, std::string_view bytes);
  // PUT a manifest under `tag_or_digest`; returns its digest.
  std::string put_manifest(const Reference& ref, const std::string& tag_or_digest,
                           const std::string& media_type, const std::string& bytes);

  // Number of bearer tokens fetched from token servers (cache misses).
  std::size_t tokens_fetched() const { return tokens_fetched_; }

 private:
  struct Scope;
  HttpResponse send(const Reference& ref, HttpRequest request, bool push);
  std::optional<std::string> authorize(const Reference& ref, const HttpResponse& unauthorized, bool push);
  std::optional<Credentials> credentials_for(const Reference& ref) const;
  // Where the credentials come from, for error messages ("" for inline ones).
  std::string credentials_source(const Reference& ref) const;
  [[noreturn]] void fail(const Reference& ref, const std::string& what, const HttpResponse& response) const;

  ClientOptions options_;
  HttpTransport transport_;
  TokenCache tokens_;
  std::mutex mutex_;
  std::map<std::string, std::string> authorization_;  // registry/repo|push -> header
  std::atomic<std::size_t> tokens_fetched_{0};
};

}  // namespace wasmlet::registry
