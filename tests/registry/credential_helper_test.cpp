// Docker credential helpers end to end: a real executable helper
// (tests/registry/docker-credential-wasmlet-test, a shell script reading its
// secrets from a file) found on PATH, named by credHelpers/credsStore in a
// docker config.json, against a real docker-registry with htpasswd Basic auth.
#include <gtest/gtest.h>

#include <cstdlib>

#include "registry_fixture.h"
#include "wasmlet/registry/credential_helper.h"
#include "wasmlet/registry/image_store.h"
#include "wasmlet/registry/pull_policy.h"
#include "wasmlet/registry/registry_error.h"

using namespace wasmlet::registry;
using namespace wasmlet::registry::testing;

namespace {

class CredentialHelperE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string line;
    ASSERT_EQ(run("htpasswd -Bbn bob hunter2", &line), 0) << line;
    write_text(dir_.path() / "htpasswd", line);
    registry_ = std::make_unique<RegistryProcess>("auth:\n  htpasswd:\n    realm: wasmlet-test\n    path: " +
                                                  (dir_.path() / "htpasswd").string() + "\n");
    ref_ = Reference::parse(registry_->host() + "/private/app:1");
    ClientOptions o;
    o.credentials = Credentials{"bob", "hunter2", ""};
    DistributionClient pusher(o);
    digest_ = push_wasm(pusher, tiny_module('h'), "h.wasm", ref_);

    // The helper goes on PATH as docker-credential-wasmlet-test.
    fs::create_directories(bin());
    fs::copy_file(fs::path(REGISTRY_TEST_DIR) / "docker-credential-wasmlet-test", bin() / "docker-credential-wasmlet-test");
    fs::permissions(bin() / "docker-credential-wasmlet-test", fs::perms::owner_all);
    old_path_ = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
    setenv("PATH", (bin().string() + ":" + old_path_).c_str(), 1);
    setenv("WASMLET_TEST_HELPER_SECRETS", secrets().c_str(), 1);
    setenv("WASMLET_TEST_HELPER_LOG", log().c_str(), 1);
  }
  void TearDown() override {
    if (!old_path_.empty()) setenv("PATH", old_path_.c_str(), 1);
    unsetenv("WASMLET_TEST_HELPER_SECRETS");
    unsetenv("WASMLET_TEST_HELPER_LOG");
  }
  fs::path bin() const { return dir_.path() / "bin"; }
  fs::path secrets() const { return dir_.path() / "secrets"; }
  fs::path log() const { return dir_.path() / "helper.log"; }
  fs::path config() const { return dir_.path() / "docker/config.json"; }
  void write_config(const std::string& json) {
    fs::create_directories(config().parent_path());
    write_text(config(), json);
  }
  // A client whose credentials come only from the docker config (no wasmlet logins).
  std::string manifest_digest_via_config() {
    CredentialStore store(dir_.path() / "no-logins.json", config());
    ClientOptions o;
    o.credential_store = &store;
    o.retry = {1, std::chrono::milliseconds(1)};
    DistributionClient client(o);
    return client.get_manifest(ref_).digest;
  }

  TempDir dir_;
  std::unique_ptr<RegistryProcess> registry_;
  Reference ref_;
  std::string digest_, old_path_;
};

}  // namespace

TEST_F(CredentialHelperE2E, PerRegistryHelperWithTheRightPasswordPulls) {
  write_text(secrets(), registry_->host() + " bob hunter2\n");
  write_config(R"({"auths":{},"credHelpers":{")" + registry_->host() + R"(":"wasmlet-test"}})");
  CredentialStore store(dir_.path() / "no-logins.json", config());
  ClientOptions o;
  o.credential_store = &store;
  DistributionClient client(o);
  ImageStore images(dir_.path() / "oci");
  auto pulled = pull_image(images, client, ref_).image;
  ASSERT_TRUE(pulled);
  EXPECT_EQ(pulled->manifest.digest, digest_);
  EXPECT_EQ(images.wasm_bytes(*pulled), tiny_module('h'));
  // The helper got the registry host on stdin, and ran once for the whole pull.
  EXPECT_EQ(read_text(log()), registry_->host() + "\n");
  auto found = store.find(registry_->host());
  ASSERT_TRUE(found);
  EXPECT_EQ(found->credentials.username, "bob");
  EXPECT_EQ(found->source, "docker credential helper docker-credential-wasmlet-test (credHelpers in " + config().string() + ")");
}

TEST_F(CredentialHelperE2E, DefaultCredsStoreIsUsedForOtherRegistries) {
  write_text(secrets(), registry_->host() + " bob hunter2\n");
  // credHelpers names another registry only; credsStore is the default.
  write_config(R"({"credsStore":"wasmlet-test","credHelpers":{"ghcr.io":"absent-helper"}})");
  EXPECT_EQ(manifest_digest_via_config(), digest_);
}

TEST_F(CredentialHelperE2E, WrongPasswordFromTheHelperIsAClearError) {
  write_text(secrets(), registry_->host() + " bob wrong-password\n");
  write_config(R"({"credHelpers":{"http://)" + registry_->host() + R"(":"wasmlet-test"}})");  // keys may carry a scheme
  try {
    manifest_digest_via_config();
    FAIL() << "a wrong password pulled";
  } catch (const AuthError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("registry " + registry_->host() + ", repository private/app"), std::string::npos) << msg;
    EXPECT_NE(msg.find("HTTP 401 unauthorized as user \"bob\" (credentials from docker credential helper "
                       "docker-credential-wasmlet-test (credHelpers in " + config().string() + "))"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("check the credentials the helper stores for " + registry_->host()), std::string::npos) << msg;
  }
}

TEST_F(CredentialHelperE2E, HelperWithoutCredentialsMeansAnonymous) {
  write_text(secrets(), "other.example.com bob hunter2\n");
  write_config(R"({"credHelpers":{")" + registry_->host() + R"(":"wasmlet-test"}})");
  try {
    manifest_digest_via_config();
    FAIL();
  } catch (const AuthError& e) {
    EXPECT_NE(std::string(e.what()).find("unauthorized anonymously"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_text(log()), registry_->host() + "\n");
}

TEST_F(CredentialHelperE2E, MissingOrBrokenHelperNamesItAndTheRegistry) {
  write_config(R"({"credHelpers":{")" + registry_->host() + R"(":"not-installed"}})");
  try {
    manifest_digest_via_config();
    FAIL();
  } catch (const RegistryError& e) {
    EXPECT_EQ(std::string(e.what()),
              "docker credential helper docker-credential-not-installed (configured for registry " + registry_->host() +
                  ") is not installed or not on PATH; install it, or remove it from credHelpers/credsStore in the docker config.json");
  }
  // A helper that fails some other way: its message and exit status are shown.
  write_text(bin() / "docker-credential-broken", "#!/bin/sh\necho 'gpg: decryption failed: No secret key'\nexit 3\n");
  fs::permissions(bin() / "docker-credential-broken", fs::perms::owner_all);
  write_config(R"({"credsStore":"broken"})");
  try {
    manifest_digest_via_config();
    FAIL();
  } catch (const RegistryError& e) {
    EXPECT_EQ(std::string(e.what()), "docker credential helper docker-credential-broken failed for registry " + registry_->host() +
                                         " (exit status 3): gpg: decryption failed: No secret key");
  }
}

// A reply that is not only the JSON (a debug line after it) is refused
// without quoting it: the error went to terminals and logs with the secret in it.
TEST_F(CredentialHelperE2E, AMalformedReplyIsRefusedWithoutQuotingTheSecret) {
  write_text(bin() / "docker-credential-chatty",
             "#!/bin/sh\nread url\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"TOPSECRET-123\"}\\n(debug) served "
             "from cache\\n' \"$url\"\n");
  fs::permissions(bin() / "docker-credential-chatty", fs::perms::owner_all);
  try {
    run_credential_helper("chatty", registry_->host(), registry_->host());
    FAIL();
  } catch (const RegistryError& e) {
    std::string message = e.what();
    EXPECT_EQ(message.find("TOPSECRET"), std::string::npos) << message;
    EXPECT_NE(message.find("the reply of docker credential helper docker-credential-chatty for registry " + registry_->host() +
                           " (expected JSON credentials) is not valid JSON (syntax error at byte"),
              std::string::npos)
        << message;
  }
}

TEST_F(CredentialHelperE2E, CliPullUsesTheHelperFromDockerConfigEnv) {
  if (!fs::exists(WASMLET_BIN)) GTEST_SKIP() << WASMLET_BIN << " is not built";
  write_config(R"({"credHelpers":{")" + registry_->host() + R"(":"wasmlet-test"}})");
  // DOCKER_CONFIG names the directory; HOME points elsewhere so ~/.docker can't be what worked.
  std::string env = "DOCKER_CONFIG=" + config().parent_path().string() + " HOME=" + (dir_.path() / "home").string() +
                    " WASMLET_DATA_DIR=" + (dir_.path() / "data").string() + " ";
  std::string out;
  write_text(secrets(), registry_->host() + " bob hunter2\n");
  ASSERT_EQ(run(env + WASMLET_BIN + " pull " + ref_.str(), &out), 0) << out;
  EXPECT_NE(out.find("Pulled " + ref_.str() + " " + digest_), std::string::npos) << out;
  write_text(secrets(), registry_->host() + " bob nope\n");
  EXPECT_EQ(run(env + WASMLET_BIN + " pull " + ref_.str(), &out), 1) << out;
  EXPECT_NE(out.find("docker-credential-wasmlet-test"), std::string::npos) << out;
  EXPECT_NE(out.find("401"), std::string::npos) << out;
}

TEST_F(CredentialHelperE2E, TokenUsernameMeansIdentityToken) {
  write_text(secrets(), registry_->host() + " <token> refresh-xyz\n");
  auto c = run_credential_helper("wasmlet-test", registry_->host(), registry_->host());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "");
  EXPECT_EQ(c->password, "");
  EXPECT_EQ(c->identity_token, "refresh-xyz");
  // htpasswd (Basic) can't take an identity token: said plainly, naming the helper.
  write_config(R"({"credHelpers":{")" + registry_->host() + R"(":"wasmlet-test"}})");
  try {
    manifest_digest_via_config();
    FAIL();
  } catch (const AuthError& e) {
    EXPECT_NE(std::string(e.what()).find("registry " + registry_->host() + " asks for Basic auth, but the credentials from docker "
                                         "credential helper docker-credential-wasmlet-test"),
              std::string::npos)
        << e.what();
  }
}

TEST(CredentialHelperConfig, PicksPerRegistryHelperThenDefaultStore) {
  auto config = nlohmann::json::parse(
      R"({"credsStore":"desktop","credHelpers":{"https://gcr.io":"gcloud","127.0.0.1:5000":"pass","https://index.docker.io/v1/":"hub"}})");
  EXPECT_EQ(credential_helper_for(config, "gcr.io"), "gcloud");
  EXPECT_EQ(credential_helper_for(config, "127.0.0.1:5000"), "pass");
  EXPECT_EQ(credential_helper_for(config, "docker.io"), "hub");
  EXPECT_EQ(credential_helper_for(config, "ghcr.io"), "desktop");
  EXPECT_EQ(credential_helper_for(nlohmann::json::parse(R"({"auths":{}})"), "ghcr.io"), std::nullopt);
}
