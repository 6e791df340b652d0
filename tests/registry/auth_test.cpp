#include "wasmlet/registry/auth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "registry_fixture.h"
#include "wasmlet/registry/registry_error.h"

using namespace wasmlet::registry;
using namespace wasmlet::registry::testing;

TEST(WwwAuthenticate, BearerChallenge) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].param("scope"), "repository:library/alpine:pull");
}

TEST(WwwAuthenticate, SeveralChallengesQuotesAndEscapes) {
  auto c = parse_www_authenticate(
      R"(Basic realm="my \"realm\", with comma", Bearer realm=https://t.example/token, scope="repository:a:pull,push",error="insufficient_scope")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "my \"realm\", with comma");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].param("realm"), "https://t.example/token");
  EXPECT_EQ(c[1].param("scope"), "repository:a:pull,push");
  EXPECT_EQ(c[1].param("error"), "insufficient_scope");
  EXPECT_THROW(parse_www_authenticate(R"(Bearer realm="unterminated)"), RegistryError);
}

TEST(DockerConfig, Base64AuthField) {
  auto cfg = nlohmann::json::parse(R"({"auths": {
    "https://index.docker.io/v1/": {"auth": ")" + base64_encode("hubuser:hub:pass") + R"("},
    "ghcr.io": {"auth": ")" + base64_encode("gh:tok") + R"("},
    "http://127.0.0.1:5000/v2/": {"username": "u", "password": "p"}}})");
  auto hub = credentials_from_docker_config(cfg, "docker.io");
  ASSERT_TRUE(hub);
  EXPECT_EQ(hub->username, "hubuser");
  EXPECT_EQ(hub->password, "hub:pass");  // only the first ':' separates
  EXPECT_EQ(credentials_from_docker_config(cfg, "ghcr.io")->password, "tok");
  EXPECT_EQ(credentials_from_docker_config(cfg, "127.0.0.1:5000")->username, "u");
  EXPECT_FALSE(credentials_from_docker_config(cfg, "quay.io"));
  auto bad = nlohmann::json::parse(R"({"auths": {"quay.io": {"auth": "!!!"}}})");
  try {
    credentials_from_docker_config(bad, "quay.io");
    FAIL();
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("quay.io"), std::string::npos);
  }
}

TEST(CredentialStore, StoredLoginsAre0600AndWinOverDockerConfig) {
  TempDir dir;
  write_text(dir.path() / "config.json",
             R"({"auths": {"r.example": {"auth": ")" + base64_encode("docker:pw") + R"("}, "o.example": {"auth": ")" +
                 base64_encode("other:pw2") + R"("}}})");
  CredentialStore store(dir.path() / "data" / "auth.json", dir.path() / "config.json");
  EXPECT_EQ(store.lookup("r.example")->username, "docker");
  store.save("r.example", {"wasmlet", "secret", ""});
  struct stat st{};
  ASSERT_EQ(stat((dir.path() / "data" / "auth.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(store.lookup("r.example")->username, "wasmlet");
  EXPECT_EQ(store.lookup("r.example")->password, "secret");
  EXPECT_EQ(store.lookup("o.example")->username, "other");
  EXPECT_TRUE(store.erase("r.example"));
  EXPECT_EQ(store.lookup("r.example")->username, "docker");
}

TEST(TokenCache, ExpiresBeforeTheServerSays) {
  TokenCache cache;
  cache.put("k", "tok", std::chrono::seconds(100));
  EXPECT_EQ(cache.get("k"), "tok");
  cache.put("k2", "tok", std::chrono::seconds(0));
  EXPECT_FALSE(cache.get("k2"));
  EXPECT_FALSE(cache.get("missing"));
}
