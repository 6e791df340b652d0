// Basic (htpasswd) and Bearer (token server in the test, RS256 JWTs with an
// x5c certificate chain) authentication against a real docker-registry.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <memory>
#include <thread>

#include "registry_fixture.h"
#include "wasmlet/registry/image_store.h"
#include "wasmlet/registry/pull_policy.h"
#include "wasmlet/registry/registry_error.h"

using namespace wasmlet::registry;
using namespace wasmlet::registry::testing;

namespace {

ClientOptions with_credentials(std::string user, std::string pass) {
  ClientOptions o;
  o.retry = {2, std::chrono::milliseconds(10)};
  if (!user.empty()) o.credentials = Credentials{std::move(user), std::move(pass), ""};
  return o;
}

std::string b64url(std::string_view s) {
  std::string b = base64_encode(s);
  for (auto& c : b) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!b.empty() && b.back() == '=') b.pop_back();
  return b;
}

// Issues RS256 JWTs that docker-registry's token auth accepts.
class TokenServer {
 public:
  explicit TokenServer(const fs::path& dir) {
    key_ = (dir / "token.key").string();
    cert_ = (dir / "token.crt").string();
    std::string out;
    if (run("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=wasmlet-test-token -keyout " + key_ + " -out " + cert_, &out) != 0)
      throw std::runtime_error("openssl req failed: " + out);
    FILE* f = fopen(key_.c_str(), "r");
    pkey_ = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    fclose(f);
    f = fopen(cert_.c_str(), "r");
    X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
    fclose(f);
    unsigned char* der = nullptr;
    int len = i2d_X509(x, &der);
    cert_der_b64_ = base64_encode(std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(len)));
    OPENSSL_free(der);
    X509_free(x);
    server_.Get("/token", [this](const httplib::Request& req, httplib::Response& res) { issue(req, res); });
    // OAuth2 refresh: an identity token POSTed as a form (docker's way).
    server_.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
      ++posts_;
      if (req.get_param_value("grant_type") != "refresh_token" || req.get_param_value("refresh_token") != refresh_token) {
        ++requests_;
        res.status = 401;
        res.set_content(R"({"details":"invalid refresh token"})", "application/json");
        return;
      }
      issue(req, res, user);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TokenServer() {
    server_.stop();
    thread_.join();
    EVP_PKEY_free(pkey_);
  }
  std::string realm() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  const std::string& cert() const { return cert_; }
  int requests() const { return requests_; }
  int posts() const { return posts_; }
  std::string last_scope() {
    std::lock_guard l(m_);
    return last_scope_;
  }

  std::string user = "alice", password = "s3cret", refresh_token = "refresh-alice-1";

 private:
  void issue(const httplib::Request& req, httplib::Response& res, std::string subject = "") {
    ++requests_;
    std::string scope = req.get_param_value("scope");
    {
      std::lock_guard l(m_);
      last_scope_ = scope;
    }
    if (subject.empty() && req.has_header("Authorization")) {
      auto h = req.get_header_value("Authorization");
      auto decoded = base64_decode(h.substr(6));
      if (decoded != user + ":" + password) {
        res.status = 401;
        res.set_content(R"({"details":"invalid username or password"})", "application/json");
        return;
      }
      subject = user;
    }
    // scope = repository:<name>:<actions>; anonymous users get pull only.
    nlohmann::json access = nlohmann::json::array();
    if (!scope.empty()) {
      auto first = scope.find(':'), last = scope.rfind(':');
      std::string name = scope.substr(first + 1, last - first - 1);
      nlohmann::json actions = subject.empty() ? nlohmann::json{"pull"} : nlohmann::json{"pull", "push"};
      access.push_back({{"type", "repository"}, {"name", name}, {"actions", actions}});
    }
    auto now = std::time(nullptr);
    nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"x5c", {cert_der_b64_}}};
    nlohmann::json claims = {{"iss", "wasmlet-test-issuer"}, {"sub", subject}, {"aud", "wasmlet-test-registry"},
                             {"exp", now + 300}, {"nbf", now - 10}, {"iat", now},
                             {"jti", std::to_string(requests_.load())}, {"access", access}};
    std::string signing_input = b64url(header.dump()) + "." + b64url(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t siglen = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey_);
    EVP_DigestSign(ctx, nullptr, &siglen, reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
    std::string sig(siglen, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &siglen,
                   reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(siglen);
    std::string token = signing_input + "." + b64url(sig);
    res.set_content(nlohmann::json({{"token", token}, {"expires_in", 300}}).dump(), "application/json");
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::string key_, cert_, cert_der_b64_;
  EVP_PKEY* pkey_ = nullptr;
  std::atomic<int> requests_{0}, posts_{0};
  std::mutex m_;
  std::string last_scope_;
};

}  // namespace

TEST(BasicAuth, RightPasswordPushesAndPulls) {
  TempDir dir;
  std::string line;
  ASSERT_EQ(run("htpasswd -Bbn bob hunter2", &line), 0) << line;
  write_text(dir.path() / "htpasswd", line);
  RegistryProcess registry("auth:\n  htpasswd:\n    realm: wasmlet-test\n    path: " + (dir.path() / "htpasswd").string() + "\n");
  auto r = Reference::parse(registry.host() + "/private/app:1");
  DistributionClient client(with_credentials("bob", "hunter2"));
  push_wasm(client, tiny_module('b'), "b.wasm", r);
  ImageStore store(dir.path() / "oci");
  auto img = pull_image(store, client, r).image;
  ASSERT_TRUE(img);
  EXPECT_EQ(store.wasm_bytes(*img), tiny_module('b'));

  // Credentials from a stored login and from docker's config.json.
  CredentialStore logins(dir.path() / "auth.json", std::nullopt);
  logins.save(registry.host(), {"bob", "hunter2", ""});
  ClientOptions o = with_credentials("", "");
  o.credential_store = &logins;
  DistributionClient via_login(o);
  EXPECT_EQ(via_login.get_manifest(r).digest, img->manifest.digest);
  write_text(dir.path() / "config.json", R"({"auths":{")" + registry.host() + R"(":{"auth":")" + base64_encode("bob:hunter2") + R"("}}})");
  CredentialStore docker(dir.path() / "none.json", dir.path() / "config.json");
  o.credential_store = &docker;
  DistributionClient via_docker(o);
  EXPECT_EQ(via_docker.get_manifest(r).digest, img->manifest.digest);
}

TEST(BasicAuth, WrongOrMissingPasswordIsAClearError) {
  TempDir dir;
  std::string line;
  ASSERT_EQ(run("htpasswd -Bbn bob hunter2", &line), 0);
  write_text(dir.path() / "htpasswd", line);
  RegistryProcess registry("auth:\n  htpasswd:\n    realm: wasmlet-test\n    path: " + (dir.path() / "htpasswd").string() + "\n");
  auto r = Reference::parse(registry.host() + "/private/app:1");
  ImageStore store(dir.path() / "oci");
  DistributionClient wrong(with_credentials("bob", "wrong"));
  try {
    pull_image(store, wrong, r);
    FAIL();
  } catch (const AuthError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("registry " + registry.host()), std::string::npos) << msg;
    EXPECT_NE(msg.find("repository private/app"), std::string::npos) << msg;
    EXPECT_NE(msg.find("401"), std::string::npos) << msg;
    EXPECT_NE(msg.find("user \"bob\""), std::string::npos) << msg;
  }
  DistributionClient anonymous(with_credentials("", ""));
  try {
    push_wasm(anonymous, tiny_module(), "a.wasm", r);
    FAIL();
  } catch (const AuthError& e) {
    EXPECT_NE(std::string(e.what()).find("wasmlet login " + registry.host()), std::string::npos) << e.what();
  }
}

TEST(BearerAuth, ChallengeTokenAndCache) {
  TempDir dir;
  TokenServer tokens(dir.path());
  RegistryProcess registry("auth:\n  token:\n    realm: " + tokens.realm() +
                           "\n    service: wasmlet-test-registry\n    issuer: wasmlet-test-issuer\n    rootcertbundle: " +
                           tokens.cert() + "\n");
  auto r = Reference::parse(registry.host() + "/tokens/app:1");
  DistributionClient client(with_credentials("alice", "s3cret"));
  push_wasm(client, tiny_module('t'), "t.wasm", r);
  EXPECT_EQ(tokens.requests(), 1);  // one pull,push token for the whole push
  EXPECT_EQ(tokens.last_scope(), "repository:tokens/app:pull,push");
  ImageStore store(dir.path() / "oci");
  auto img = pull_image(store, client, r).image;
  ASSERT_TRUE(img);
  EXPECT_EQ(store.wasm_bytes(*img), tiny_module('t'));
  EXPECT_EQ(tokens.requests(), 2);  // + one pull token
  EXPECT_EQ(tokens.last_scope(), "repository:tokens/app:pull");
  pull_image_with_policy(store, client, r, PullPolicy::Always);
  client.get_manifest(r);
  EXPECT_EQ(tokens.requests(), 2);  // cached
  EXPECT_EQ(client.tokens_fetched(), 2u);

  // A fresh client for another repository needs a new token; anonymous pull works.
  DistributionClient anonymous(with_credentials("", ""));
  EXPECT_EQ(anonymous.get_manifest(r).digest, img->manifest.digest);
  EXPECT_EQ(tokens.requests(), 3);

  // Anonymous users get pull-only tokens: pushing is refused, naming the repository.
  try {
    push_wasm(anonymous, tiny_module('u'), "u.wasm", r);
    FAIL();
  } catch (const AuthError& e) {
    EXPECT_NE(std::string(e.what()).find("repository tokens/app"), std::string::npos) << e.what();
  }
  DistributionClient wrong(with_credentials("alice", "nope"));
  try {
    wrong.get_manifest(r);
    FAIL();
  } catch (const AuthError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("token server " + tokens.realm()), std::string::npos) << msg;
    EXPECT_NE(msg.find("repository tokens/app"), std::string::npos) << msg;
    EXPECT_NE(msg.find("invalid username or password"), std::string::npos) << msg;
  }
}

TEST(BearerAuth, IdentityTokenIsExchangedByOAuthRefresh) {
  TempDir dir;
  TokenServer tokens(dir.path());
  RegistryProcess registry("auth:\n  token:\n    realm: " + tokens.realm() +
                           "\n    service: wasmlet-test-registry\n    issuer: wasmlet-test-issuer\n    rootcertbundle: " +
                           tokens.cert() + "\n");
  auto r = Reference::parse(registry.host() + "/tokens/idt:1");
  ClientOptions o = with_credentials("", "");
  o.credentials = Credentials{"", "", "refresh-alice-1"};  // what a helper's "<token>" user gives
  DistributionClient client(o);
  push_wasm(client, tiny_module('i'), "i.wasm", r);  // push needs alice's pull,push token
  EXPECT_EQ(tokens.posts(), 1);
  EXPECT_EQ(tokens.last_scope(), "repository:tokens/idt:pull,push");
  o.credentials = Credentials{"", "", "stale-token"};
  DistributionClient stale(o);
  try {
    stale.get_manifest(r);
    FAIL();
  } catch (const AuthError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("token server " + tokens.realm() + " refused a token for registry " + registry.host() +
                       ", repository tokens/idt (scope repository:tokens/idt:pull) with an identity token: HTTP 401"),
              std::string::npos)
        << msg;
  }
}
