// Challenges, docker config.json credentials, stored logins, token cache.
#include "wasmlet/registry/auth.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "wasmlet/registry/credential_helper.h"
#include "wasmlet/registry/registry_error.h"
#include "registry/untrusted_json.h"
#include "util/file_bytes.h"

namespace wasmlet::registry {

std::string Challenge::param(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() ? std::string{} : it->second;
}

std::vector<Challenge> parse_www_authenticate(std::string_view h) {
  std::vector<Challenge> out;
  std::size_t i = 0;
  auto skip_ws = [&] { while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i; };
  auto token = [&] {
    std::size_t s = i;
    while (i < h.size() && h[i] != ' ' && h[i] != '\t' && h[i] != '=' && h[i] != ',') ++i;
    return std::string(h.substr(s, i - s));
  };
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  while (true) {
    skip_ws();
    while (i < h.size() && h[i] == ',') { ++i; skip_ws(); }
    if (i >= h.size()) break;
    Challenge c;
    c.scheme = lower(token());
    if (c.scheme.empty()) throw RegistryError(fmt::format("malformed WWW-Authenticate header \"{}\" at offset {}", h, i));
    // auth-params: key=value or key="quoted", separated by commas, until the next scheme.
    while (true) {
      skip_ws();
      std::size_t save = i;
      std::string key = token();
      skip_ws();
      if (key.empty() || i >= h.size() || h[i] != '=') {
        i = save;  // next challenge's scheme (or the end)
        break;
      }
      ++i;
      skip_ws();
      std::string value;
      if (i < h.size() && h[i] == '"') {
        ++i;
        bool closed = false;
        while (i < h.size()) {
          char ch = h[i++];
          if (ch == '\\' && i < h.size()) {
            value += h[i++];
          } else if (ch == '"') {
            closed = true;
            break;
          } else {
            value += ch;
          }
        }
        if (!closed) throw RegistryError(fmt::format("malformed WWW-Authenticate header \"{}\": unterminated quoted value of {}", h, key));
      } else {
        value = token();
      }
      c.params[lower(key)] = value;
      skip_ws();
      if (i < h.size() && h[i] == ',') ++i;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string in(text);
  while (!in.empty() && (in.back() == '\n' || in.back() == '\r' || in.back() == ' ')) in.pop_back();
  if (in.size() % 4 != 0) throw RegistryError("invalid base64: length is not a multiple of 4");
  std::string out(in.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) throw RegistryError("invalid base64 data");
  std::size_t len = static_cast<std::size_t>(n);
  if (!in.empty() && in.back() == '=') --len;
  if (in.size() > 1 && in[in.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::string docker_config_key(std::string_view registry) {
  if (registry == "docker.io" || registry == "index.docker.io" || registry == "registry-1.docker.io")
    return "https://index.docker.io/v1/";
  return std::string(registry);
}

namespace {
std::string normalize_key(std::string_view key) {
  if (auto p = key.find("://"); p != std::string_view::npos) key = key.substr(p + 3);
  if (auto p = key.find('/'); p != std::string_view::npos) key = key.substr(0, p);
  if (key == "index.docker.io" || key == "registry-1.docker.io") return "docker.io";
  return std::string(key);
}
}  // namespace

std::optional<Credentials> credentials_from_docker_config(const nlohmann::json& config, std::string_view registry) {
  if (!config.is_object() || !config.contains("auths") || !config["auths"].is_object()) return std::nullopt;
  std::string want = normalize_key(docker_config_key(registry));
  for (auto& [key, entry] : config["auths"].items()) {
    if (normalize_key(key) != want || !entry.is_object()) continue;
    Credentials c;
    if (entry.contains("auth") && entry["auth"].is_string() && !entry["auth"].get<std::string>().empty()) {
      std::string decoded;
      try {
        decoded = base64_decode(entry["auth"].get<std::string>());
      } catch (const RegistryError& e) {
        throw RegistryError(fmt::format("docker config: the \"auth\" field for {} is not valid base64 ({})", key, e.what()));
      }
      auto colon = decoded.find(':');
      if (colon == std::string::npos)
        throw RegistryError(fmt::format("docker config: the \"auth\" field for {} does not decode to user:password", key));
      c.username = decoded.substr(0, colon);
      c.password = decoded.substr(colon + 1);
    }
    if (entry.contains("username") && entry["username"].is_string()) c.username = entry["username"];
    if (entry.contains("password") && entry["password"].is_string()) c.password = entry["password"];
    if (entry.contains("identitytoken") && entry["identitytoken"].is_string()) c.identity_token = entry["identitytoken"];
    if (!c.empty()) return c;
  }
  return std::nullopt;
}

struct CredentialStore::HelperCache {
  std::mutex mutex;
  std::map<std::string, std::optional<Credentials>> answers;  // by registry
};

CredentialStore::CredentialStore(std::filesystem::path logins_file, std::optional<std::filesystem::path> docker_config)
    : logins_file_(std::move(logins_file)), docker_config_(std::move(docker_config)), helper_cache_(std::make_shared<HelperCache>()) {}

std::optional<std::filesystem::path> CredentialStore::default_docker_config() {
  if (const char* d = std::getenv("DOCKER_CONFIG"); d && *d) return std::filesystem::path(d) / "config.json";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".docker" / "config.json";
  return std::nullopt;
}

namespace {
nlohmann::json read_json_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return nlohmann::json::object();
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_untrusted_json(text, file.string());  // it holds secrets: the error quotes none
}

void write_private_file(const std::filesystem::path& file, const std::string& content) {
  std::filesystem::create_directories(file.parent_path());
  auto tmp = file;
  tmp += fmt::format(".tmp{}", getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw RegistryError(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
  fchmod(fd, 0600);
  const bool ok = util::write_all_and_sync(fd, content);
  const int error = errno;
  ::close(fd);
  errno = error;
  if (!ok || std::rename(tmp.c_str(), file.c_str()) != 0) {
    std::filesystem::remove(tmp);
    throw RegistryError(fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
  }
}
}  // namespace

std::optional<Credentials> CredentialStore::lookup(std::string_view registry) const {
  if (auto found = find(registry)) return found->credentials;
  return std::nullopt;
}

std::optional<FoundCredentials> CredentialStore::find(std::string_view registry) const {
  if (auto c = credentials_from_docker_config(read_json_file(logins_file_), registry))
    return FoundCredentials{*c, fmt::format("wasmlet login ({})", logins_file_.string())};
  if (!docker_config_) return std::nullopt;
  auto config = read_json_file(*docker_config_);
  if (auto helper = credential_helper_for(config, registry)) {
    std::optional<Credentials> answer;
    {
      // Held while the helper runs, so concurrent lookups run it once.
      std::lock_guard lock(helper_cache_->mutex);
      auto it = helper_cache_->answers.find(std::string(registry));
      if (it == helper_cache_->answers.end())
        it = helper_cache_->answers.emplace(std::string(registry), run_credential_helper(*helper, docker_config_key(registry), registry)).first;
      answer = it->second;
    }
    bool per_registry = config.contains("credHelpers") && config["credHelpers"].is_object() &&
                        credential_helper_for(nlohmann::json{{"credHelpers", config["credHelpers"]}}, registry).has_value();
    if (answer)
      return FoundCredentials{*answer, fmt::format("docker credential helper docker-credential-{} ({} in {})", *helper,
                                                   per_registry ? "credHelpers" : "credsStore", docker_config_->string())};
    // Nothing in the helper: an "auths" entry may still hold inline credentials.
  }
  if (auto c = credentials_from_docker_config(config, registry))
    return FoundCredentials{*c, fmt::format("auths in {}", docker_config_->string())};
  return std::nullopt;
}

void CredentialStore::save(std::string_view registry, const Credentials& credentials) const {
  auto j = read_json_file(logins_file_);
  j["auths"][docker_config_key(registry)] = {{"auth", base64_encode(credentials.username + ":" + credentials.password)}};
  write_private_file(logins_file_, j.dump(2) + "\n");
}

bool CredentialStore::erase(std::string_view registry) const {
  auto j = read_json_file(logins_file_);
  if (!j.contains("auths") || !j["auths"].contains(docker_config_key(registry))) return false;
  j["auths"].erase(docker_config_key(registry));
  write_private_file(logins_file_, j.dump(2) + "\n");
  return true;
}

std::optional<std::string> TokenCache::get(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(key);
  if (it == tokens_.end() || std::chrono::steady_clock::now() >= it->second.second) return std::nullopt;
  return it->second.first;
}

void TokenCache::put(const std::string& key, std::string token, std::chrono::seconds lifetime) {
  std::lock_guard lock(mutex_);
  // Renew 10% (at most 30 s) before the server's expiry.
  auto margin = std::min<std::chrono::seconds>(std::chrono::seconds(30), lifetime / 10);
  tokens_[key] = {std::move(token), std::chrono::steady_clock::now() + lifetime - margin};
}

}  // namespace wasmlet::registry
