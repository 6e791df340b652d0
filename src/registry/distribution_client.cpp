// OCI distribution API over HttpTransport, with the auth dance per repository.
#include "wasmlet/registry/distribution_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include "wasmlet/registry/artifact.h"
#include "wasmlet/registry/blob_limits.h"
#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/registry_error.h"
#include "wasmlet/sha256.h"
#include "json_member.h"
#include "registry/untrusted_json.h"
#include "util/printable.h"

namespace wasmlet::registry {
namespace {

std::string url_escape(const std::string& s) {
  char* e = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
  std::string out = e ? e : "";
  curl_free(e);
  return out;
}

// "scheme://host:port" of a URL (the port filled in), "" when it cannot be parsed.
std::string origin_of(const std::string& url) {
  CURLU* u = curl_url();
  std::string origin;
  char *scheme = nullptr, *host = nullptr, *port = nullptr;
  if (u && curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    origin = fmt::format("{}://{}:{}", scheme, host, port);
    std::transform(origin.begin(), origin.end(), origin.begin(), [](unsigned char c) { return std::tolower(c); });
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return origin;
}

// "CODE: message" for each entry of a registry's {"errors": [...]} body,
// escaped: the registry's text must not drive the user's terminal.
std::string registry_errors(const std::string& body) {
  constexpr std::size_t kShown = 200;
  UntrustedJson parsed = try_parse_untrusted_json(body);
  const nlohmann::json& j = parsed.value;
  if (parsed.problem.empty() && j.is_object()) {
    if (j.contains("errors") && j["errors"].is_array()) {
      std::string out;
      for (auto& e : j["errors"]) {
        if (!out.empty()) out += "; ";
        const std::string code = string_member(e, "code");
        out += util::printable(code.empty() ? "ERROR" : code, kShown) + ": " + util::printable(string_member(e, "message"), kShown);
      }
      return out;
    }
    if (j.contains("details")) return util::printable(j["details"].dump(), kShown);
  }
  std::string s = body.substr(0, kShown);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return util::printable(s, kShown);
}

const char* kManifestAccept =
    "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

}  // namespace

bool is_index_media_type(std::string_view media_type) {
  return media_type == kOciIndex || media_type == kDockerManifestList;
}

DistributionClient::DistributionClient(ClientOptions options)
    : options_(std::move(options)), transport_(options_.retry, options_.deadline, options_.cancel) {}
DistributionClient::~DistributionClient() = default;

std::string DistributionClient::base_url(const Reference& ref) const {
  bool insecure = ref.is_loopback() || std::find(options_.insecure_registries.begin(), options_.insecure_registries.end(),
                                                 ref.registry) != options_.insecure_registries.end();
  return fmt::format("{}://{}", insecure ? "http" : "https", ref.api_host());
}

std::optional<Credentials> DistributionClient::credentials_for(const Reference& ref) const {
  if (options_.credentials) return options_.credentials;
  if (options_.credential_store) return options_.credential_store->lookup(ref.registry);
  return std::nullopt;
}

std::string DistributionClient::credentials_source(const Reference& ref) const {
  if (options_.credentials || !options_.credential_store) return {};
  auto found = options_.credential_store->find(ref.registry);
  return found ? found->source : std::string{};
}

void DistributionClient::fail(const Reference& ref, const std::string& what, const HttpResponse& r) const {
  std::string detail = registry_errors(r.body);
  std::string where = fmt::format("registry {}, repository {}", ref.registry, ref.repository);
  if (r.status == 401 || r.status == 403) {
    auto creds = credentials_for(ref);
    std::string source = creds ? credentials_source(ref) : "";
    std::string who = creds && !creds->username.empty() ? fmt::format("as user \"{}\"", creds->username)
                      : creds && !creds->identity_token.empty() ? std::string("with an identity token")
                                                                 : std::string("anonymously");
    if (!source.empty()) who += " (credentials from " + source + ")";
    std::string hint = r.status == 401
                           ? (!creds ? "log in first: wasmlet login " + ref.registry + " -u USER --password-stdin"
                              : source.find("credential helper") != std::string::npos
                                  ? "check the credentials the helper stores for " + ref.registry
                                  : "check the user name and password (wasmlet login " + ref.registry + ")")
                           : "the account lacks permission for this repository";
    throw AuthError(fmt::format("{} {} ({}): HTTP {} {} {}{}; {}", what, ref.str(), where, r.status,
                                r.status == 401 ? "unauthorized" : "forbidden", who,
                                detail.empty() ? "" : " (" + detail + ")", hint));
  }
  if (r.status == 404)
    throw NotFoundError(fmt::format("{} {} ({}): not found{}", what, ref.str(), where, detail.empty() ? "" : " (" + detail + ")"));
  throw RegistryError(fmt::format("{} {} ({}): HTTP {}{}", what, ref.str(), where, r.status, detail.empty() ? "" : " (" + detail + ")"));
}

std::optional<std::string> DistributionClient::authorize(const Reference& ref, const HttpResponse& unauthorized, bool push) {
  auto header = unauthorized.header("www-authenticate");
  if (header.empty()) return std::nullopt;
  auto challenges = parse_www_authenticate(header);
  auto creds = credentials_for(ref);
  for (const auto& c : challenges) {
    if (c.scheme == "bearer") {
      std::string realm = c.param("realm");
      if (realm.empty())
        throw AuthError(fmt::format("registry {} sent a Bearer challenge without a realm (\"{}\")", ref.registry,
                                    util::printable(header, 200)));
      std::string scope = fmt::format("repository:{}:{}", ref.repository, push ? "pull,push" : "pull");
      std::string service = c.param("service");
      std::string who = !creds ? "" : creds->username.empty() && !creds->identity_token.empty() ? "<token>" : creds->username;
      std::string key = fmt::format("{}|{}|{}|{}", realm, service, scope, who);
      if (auto cached = tokens_.get(key)) return "Authorization: Bearer " + *cached;
      std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
      if (!service.empty()) url += "service=" + url_escape(service) + "&";
      url += "scope=" + url_escape(scope);
      HttpRequest req;
      req.url = url;
      req.headers.push_back("User-Agent: " + options_.user_agent);
      if (creds && !creds->identity_token.empty()) {
        // An identity token is an OAuth2 refresh token: POST it to the realm (as docker does).
        req.method = "POST";
        req.url = realm;
        req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
        req.body = "grant_type=refresh_token&client_id=wasmlet&refresh_token=" + url_escape(creds->identity_token) +
                   (service.empty() ? "" : "&service=" + url_escape(service)) + "&scope=" + url_escape(scope);
      } else if (creds && !creds->username.empty()) {
        req.headers.push_back("Authorization: Basic " + base64_encode(creds->username + ":" + creds->password));
      }
      HttpResponse r = transport_.perform(req);
      ++tokens_fetched_;
      if (r.status == 401 || r.status == 403)
        throw AuthError(fmt::format("token server {} refused a token for registry {}, repository {} (scope {}) {}: HTTP {}{}",
                                    realm, ref.registry, ref.repository, scope,
                                    !creds ? std::string("anonymously")
                                    : creds->username.empty() ? std::string("with an identity token")
                                                              : "for user \"" + creds->username + "\"",
                                    r.status,
                                    r.body.empty() ? "" : " (" + registry_errors(r.body) + ")"));
      if (r.status != 200)
        throw AuthError(fmt::format("token server {} for registry {} answered HTTP {}: {}", realm, ref.registry, r.status,
                                    registry_errors(r.body)));
      long expires = 60;
      auto j = parse_untrusted_json<AuthError>(r.body, fmt::format("the reply of token server {} for registry {}", realm, ref.registry));
      std::string token = string_member(j, "token");
      if (token.empty()) token = string_member(j, "access_token");
      if (j.contains("expires_in") && j["expires_in"].is_number()) expires = std::max<long>(j["expires_in"].get<long>(), 1);
      if (token.empty())
        throw AuthError(fmt::format("token server {} for registry {} sent no token", realm, ref.registry));
      tokens_.put(key, token, std::chrono::seconds(expires));
      return "Authorization: Bearer " + token;
    }
    if (c.scheme == "basic") {
      if (!creds) return std::nullopt;
      if (creds->username.empty() && !creds->identity_token.empty())
        throw AuthError(fmt::format("registry {} asks for Basic auth, but the credentials{} are an identity token, which "
                                    "only a Bearer token server accepts",
                                    ref.registry, credentials_source(ref).empty() ? "" : " from " + credentials_source(ref)));
      return "Authorization: Basic " + base64_encode(creds->username + ":" + creds->password);
    }
  }
  return std::nullopt;
}

HttpResponse DistributionClient::send(const Reference& ref, HttpRequest request, bool push) {
  std::string key = fmt::format("{}/{}|{}", ref.registry, ref.repository, push);
  request.headers.push_back("User-Agent: " + options_.user_agent);
  // Credentials go to the registry's own scheme, host and port only: an
  // upload Location elsewhere is the registry's choice, not the user's.
  std::string origin = origin_of(request.url);
  if (origin.empty() || origin != origin_of(base_url(ref))) return transport_.perform(request);
  std::optional<std::string> auth;
  {
    std::lock_guard lock(mutex_);
    if (auto it = authorization_.find(key); it != authorization_.end()) auth = it->second;
  }
  for (int round = 0;; ++round) {
    HttpRequest attempt = request;
    if (auth) attempt.headers.push_back(*auth);
    HttpResponse r = transport_.perform(attempt);
    if (r.status != 401 || round > 0) return r;
    auto fresh = authorize(ref, r, push);
    if (!fresh || fresh == auth) return r;
    auth = fresh;
    std::lock_guard lock(mutex_);
    authorization_[key] = *auth;
  }
}

Manifest DistributionClient::get_manifest(const Reference& ref, const std::string& tag_or_digest) {
  std::string tod = tag_or_digest.empty() ? ref.tag_or_digest() : tag_or_digest;
  HttpRequest req;
  req.url = fmt::format("{}/v2/{}/manifests/{}", base_url(ref), ref.repository, tod);
  req.headers.push_back(kManifestAccept);
  req.max_body_bytes = kMaxManifestBytes;
  HttpResponse r = send(ref, req, false);
  if (r.status != 200) fail(ref, fmt::format("fetching manifest {} of", tod), r);
  Manifest m;
  m.bytes = std::move(r.body);
  m.digest = sha256_digest(m.bytes);
  bool by_digest = tod.starts_with("sha256:");
  std::string expected = by_digest ? tod : r.header("docker-content-digest");
  if (!expected.empty() && expected.starts_with("sha256:") && expected != m.digest)
    throw DigestMismatchError(fmt::format("manifest {} of {} (registry {}, repository {}) has digest {}, expected {}", tod,
                                          ref.str(), ref.registry, ref.repository, m.digest, util::printable(expected, 100)));
  m.json = parse_untrusted_json(m.bytes, fmt::format("manifest {} of {} (registry {})", tod, ref.str(), ref.registry));
  m.media_type = string_member(m.json, "mediaType");
  if (m.media_type.empty()) {
    m.media_type = r.header("content-type");
    if (auto semi = m.media_type.find(';'); semi != std::string::npos) m.media_type.resize(semi);
    if (m.media_type.empty() || m.media_type == "application/json")
      m.media_type = m.json.contains("manifests") ? kOciIndex : kOciManifest;
  }
  return m;
}

void DistributionClient::fetch_blob(const Reference& ref, const Descriptor& blob, const std::filesystem::path& dest) {
  std::ofstream out;
  std::unique_ptr<wasmlet::Sha256> hash;
  std::uint64_t received = 0;
  HttpRequest req;
  req.url = fmt::format("{}/v2/{}/blobs/{}", base_url(ref), ref.repository, blob.digest);
  req.expected_bytes = blob.size;
  req.on_attempt = [&] {
    out.close();
    out.open(dest, std::ios::binary | std::ios::trunc);
    if (!out) throw RegistryError(fmt::format("cannot write {}: {}", dest.string(), std::strerror(errno)));
    hash = std::make_unique<wasmlet::Sha256>();
    received = 0;
  };
  bool too_long = false;
  req.sink = [&](const char* data, std::size_t n) {
    // More than the descriptor's size cannot match it: stop before it fills
    // the disk. The size is always the bound: "size": 0 means the empty blob, not "unknown".
    if (received + n > blob.size) {
      too_long = true;
      return false;
    }
    hash->update(data, n);
    out.write(data, static_cast<std::streamsize>(n));
    received += n;
    return static_cast<bool>(out);
  };
  if (options_.progress && options_.progress->enabled())
    req.progress = [&](std::uint64_t now, std::uint64_t total) { options_.progress->update(blob.digest, now, total ? total : blob.size); };
  HttpResponse r;
  try {
    r = send(ref, req, false);
  } catch (...) {
    out.close();
    std::filesystem::remove(dest);
    if (too_long)
      throw DigestMismatchError(fmt::format(
          "blob {} from registry {}, repository {} is longer than the {} bytes its descriptor says; the download "
          "was stopped there",
          blob.digest, ref.registry, ref.repository, blob.size));
    throw;
  }
  out.close();
  if (r.status != 200) {
    std::filesystem::remove(dest);
    fail(ref, fmt::format("fetching blob {} of", blob.digest), r);
  }
  std::string got = hash ? "sha256:" + hash->hex() : sha256_digest("");
  if (got != blob.digest || received != blob.size) {
    std::filesystem::remove(dest);
    throw DigestMismatchError(fmt::format(
        "blob {} from registry {}, repository {} does not match its digest: got {} ({} bytes, expected {}); "
        "the content was corrupted in transit or on the registry",
        blob.digest, ref.registry, ref.repository, got, received, blob.size));
  }
  if (options_.progress) options_.progress->finish(blob.digest, received, "downloaded");
}

std::string DistributionClient::fetch_blob_bytes(const Reference& ref, const Descriptor& blob) {
  std::string data;
  HttpRequest req;
  req.url = fmt::format("{}/v2/{}/blobs/{}", base_url(ref), ref.repository, blob.digest);
  HttpResponse r = send(ref, req, false);
  if (r.status != 200) fail(ref, fmt::format("fetching blob {} of", blob.digest), r);
  std::string got = sha256_digest(r.body);
  if (got != blob.digest)
    throw DigestMismatchError(fmt::format("blob {} from registry {}, repository {} does not match its digest (got {})",
                                          blob.digest, ref.registry, ref.repository, got));
  return std::move(r.body);
}

bool DistributionClient::blob_exists(const Reference& ref, const std::string& digest) {
  HttpRequest req;
  req.method = "HEAD";
  req.url = fmt::format("{}/v2/{}/blobs/{}", base_url(ref), ref.repository, digest);
  HttpResponse r = send(ref, req, true);
  if (r.status == 200) return true;
  if (r.status == 404) return false;
  fail(ref, fmt::format("checking blob {} in", digest), r);
}

bool DistributionClient::push_blob(const Reference& ref, const std::string& digest, std::string_view bytes) {
  if (blob_exists(ref, digest)) return false;
  auto absolute = [&](std::string loc) { return loc.starts_with("/") ? base_url(ref) + loc : loc; };
  HttpRequest start;
  start.method = "POST";
  start.url = fmt::format("{}/v2/{}/blobs/uploads/", base_url(ref), ref.repository);
  HttpResponse r = send(ref, start, true);
  if (r.status != 202) fail(ref, fmt::format("starting the upload of blob {} to", digest), r);
  std::string location = absolute(r.header("location"));
  if (location.empty()) throw RegistryError(fmt::format("registry {} started an upload without a Location header", ref.registry));
  std::size_t offset = 0;
  if (options_.chunk_size && bytes.size() > options_.chunk_size) {
    while (offset < bytes.size()) {
      std::size_t n = std::min<std::size_t>(options_.chunk_size, bytes.size() - offset);
      HttpRequest patch;
      patch.method = "PATCH";
      patch.url = location;
      patch.body = std::string(bytes.substr(offset, n));
      patch.headers = {"Content-Type: application/octet-stream",
                       fmt::format("Content-Range: {}-{}", offset, offset + n - 1)};
      HttpResponse pr = send(ref, patch, true);
      if (pr.status != 202) fail(ref, fmt::format("uploading bytes {}-{} of blob {} to", offset, offset + n - 1, digest), pr);
      location = absolute(pr.header("location"));
      offset += n;
    }
  }
  HttpRequest put;
  put.method = "PUT";
  put.url = location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + url_escape(digest);
  put.body = std::string(bytes.substr(offset));
  put.headers = {"Content-Type: application/octet-stream"};
  HttpResponse pr = send(ref, put, true);
  if (pr.status != 201) fail(ref, fmt::format("completing the upload of blob {} to", digest), pr);
  if (options_.progress) options_.progress->finish(digest, bytes.size(), "pushed");
  return true;
}

std::string DistributionClient::put_manifest(const Reference& ref, const std::string& tag_or_digest,
                                             const std::string& media_type, const std::string& bytes) {
  HttpRequest req;
  req.method = "PUT";
  req.url = fmt::format("{}/v2/{}/manifests/{}", base_url(ref), ref.repository, tag_or_digest);
  req.body = bytes;
  req.headers = {"Content-Type: " + media_type};
  HttpResponse r = send(ref, req, true);
  if (r.status != 201 && r.status != 200) fail(ref, "pushing the manifest of", r);
  // The digest is that of the bytes sent; the registry's header only confirms it.
  std::string digest = sha256_digest(bytes);
  std::string answered = r.header("docker-content-digest");
  if (!answered.empty() && answered != digest)
    throw DigestMismatchError(fmt::format("registry {} stored the manifest of {} as {}, but the manifest sent has digest {}",
                                          ref.registry, ref.str(), util::printable(answered, 100), digest));
  return digest;
}

}  // namespace wasmlet::registry
