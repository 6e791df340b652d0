#include "wasmlet/registry/reference.h"

#include <gtest/gtest.h>

using wasmlet::registry::Reference;
using wasmlet::registry::ReferenceError;

TEST(Reference, DockerHubDefaults) {
  auto r = Reference::parse("alpine");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "library/alpine");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_EQ(r.str(), "docker.io/library/alpine:latest");
  EXPECT_EQ(r.api_host(), "registry-1.docker.io");
  EXPECT_EQ(Reference::parse("user/app:1.0").str(), "docker.io/user/app:1.0");
  EXPECT_EQ(Reference::parse("docker.io/alpine").repository, "library/alpine");
  EXPECT_EQ(Reference::parse("index.docker.io/library/alpine:3").str(), "docker.io/library/alpine:3");
}

TEST(Reference, RegistryWithPortAndNestedPath) {
  auto r = Reference::parse("127.0.0.1:5000/org/team/app:v1.2-rc_3");
  EXPECT_EQ(r.registry, "127.0.0.1:5000");
  EXPECT_EQ(r.repository, "org/team/app");
  EXPECT_EQ(r.tag, "v1.2-rc_3");
  EXPECT_TRUE(r.is_loopback());
  EXPECT_EQ(Reference::parse("localhost/app").registry, "localhost");
  EXPECT_TRUE(Reference::parse("localhost:8080/app").is_loopback());
  EXPECT_FALSE(Reference::parse("ghcr.io/o/app").is_loopback());
  auto v6 = Reference::parse("[::1]:5000/app:x");
  EXPECT_EQ(v6.registry, "[::1]:5000");
  EXPECT_TRUE(v6.is_loopback());
}

TEST(Reference, Digests) {
  std::string d = "sha256:" + std::string(64, 'a');
  auto r = Reference::parse("ghcr.io/o/app@" + d);
  EXPECT_EQ(r.digest, d);
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.tag_or_digest(), d);
  auto both = Reference::parse("ghcr.io/o/app:v1@" + d);
  EXPECT_EQ(both.tag, "v1");
  EXPECT_EQ(both.tag_or_digest(), d);
  EXPECT_EQ(both.str(), "ghcr.io/o/app:v1@" + d);
}

static std::string error_of(const std::string& text) {
  try {
    Reference::parse(text);
  } catch (const ReferenceError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Reference, ErrorsPointAtTheBadPart) {
  auto upper = error_of("ghcr.io/Org/app");
  EXPECT_NE(upper.find("lowercase"), std::string::npos) << upper;
  EXPECT_NE(upper.find("ghcr.io/Org/app"), std::string::npos);
  EXPECT_NE(upper.find("\n          ^"), std::string::npos) << upper;  // caret under 'O' (column 8)

  auto port = error_of("localhost:99999/app");
  EXPECT_NE(port.find("port 99999 is out of range"), std::string::npos) << port;
  auto nport = error_of("host.io:ab/app");
  EXPECT_NE(nport.find("not a number"), std::string::npos) << nport;

  EXPECT_NE(error_of("app@sha256:abc").find("64 hex digits"), std::string::npos);
  EXPECT_NE(error_of("app@md5:" + std::string(32, 'a')).find("unsupported digest algorithm \"md5\""), std::string::npos);
  EXPECT_NE(error_of("app:").find("empty tag"), std::string::npos);
  EXPECT_NE(error_of("app:bad/tag").find("port \"bad\" is not a number"), std::string::npos);
  EXPECT_NE(error_of("host.io/a:b/c").find("':' is only allowed"), std::string::npos);
  EXPECT_NE(error_of("app:-x").find("not allowed in tag"), std::string::npos);
  EXPECT_NE(error_of("a//b").find("empty path component"), std::string::npos);
  EXPECT_NE(error_of("a b").find("white space"), std::string::npos);
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("app-/x").find("must start and end"), std::string::npos);
  EXPECT_NE(error_of("a..b").find("separator"), std::string::npos);
}
