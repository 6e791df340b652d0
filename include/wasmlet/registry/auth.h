// Registry credentials: WWW-Authenticate challenges, bearer token cache,
// ~/.docker/config.json "auths", and wasmlet's own stored logins (0600).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace wasmlet::registry {

struct Challenge {
  std::string scheme;                         // lower-case: "basic", "bearer"
  std::map<std::string, std::string> params;  // realm, service, scope, error...
  std::string param(const std::string& key) const;
};

// Parses a WWW-Authenticate header (several challenges, quoted values with
// escapes, commas inside quotes). Throws RegistryError on malformed input.
std::vector<Challenge> parse_www_authenticate(std::string_view header);

struct Credentials {
  std::string username;
  std::string password;       // or a registry token
  std::string identity_token; // docker's "identitytoken" (OAuth refresh token)
  bool empty() const { return username.empty() && password.empty() && identity_token.empty(); }
};

// The key docker uses in config.json for a registry ("https://index.docker.io/v1/"
// for docker.io, else host[:port]).
std::string docker_config_key(std::string_view registry);
// Looks `registry` up in a parsed docker config.json ("auths": {"auth": base64(user:pass)}
// or username/password fields). Accepts keys with scheme and path.
std::optional<Credentials> credentials_from_docker_config(const nlohmann::json& config, std::string_view registry);

std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);  // throws RegistryError on bad input

// Credentials and where they came from ("docker credential helper
// docker-credential-pass (credHelpers in /home/u/.docker/config.json)").
struct FoundCredentials {
  Credentials credentials;
  std::string source;
};

// Where credentials come from, in order: wasmlet's stored logins
// (DATA_DIR/auth.json, mode 0600), then docker's config.json: the registry's
// credHelpers entry, else credsStore (see credential_helper.h), else auths.
// A helper's answer is kept for the store's lifetime (one run per registry).
class CredentialStore {
 public:
  CredentialStore(std::filesystem::path logins_file, std::optional<std::filesystem::path> docker_config);
  // $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
  static std::optional<std::filesystem::path> default_docker_config();

  std::optional<Credentials> lookup(std::string_view registry) const;
  std::optional<FoundCredentials> find(std::string_view registry) const;
  // Stores a login (atomically, file mode 0600).
  void save(std::string_view registry, const Credentials& credentials) const;
  bool erase(std::string_view registry) const;
  const std::filesystem::path& logins_file() const { return logins_file_; }

 private:
  std::filesystem::path logins_file_;
  std::optional<std::filesystem::path> docker_config_;
  struct HelperCache;
  std::shared_ptr<HelperCache> helper_cache_;
};

// Bearer tokens by (realm, service, scope), valid until shortly before expiry.
class TokenCache {
 public:
  std::optional<std::string> get(const std::string& key) const;
  void put(const std::string& key, std::string token, std::chrono::seconds lifetime);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>> tokens_;
};

}  // namespace wasmlet::registry
