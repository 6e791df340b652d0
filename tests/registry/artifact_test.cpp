#include "wasmlet/registry/artifact.h"

#include <gtest/gtest.h>

#include "registry_fixture.h"
#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/registry_error.h"

using namespace wasmlet::registry;
using namespace wasmlet::registry::testing;

static nlohmann::json manifest_with(const std::string& config_type, std::vector<std::pair<std::string, std::string>> layers) {
  nlohmann::json m = {{"schemaVersion", 2}, {"config", {{"mediaType", config_type}, {"digest", sha256_digest("{}")}, {"size", 2}}}};
  m["layers"] = nlohmann::json::array();
  for (auto& [type, bytes] : layers) m["layers"].push_back({{"mediaType", type}, {"digest", sha256_digest(bytes)}, {"size", bytes.size()}});
  return m;
}

TEST(Artifact, WasiVersionFromTheBinary) {
  EXPECT_EQ(wasi_version_of_binary(tiny_module()), "wasip1");
  EXPECT_EQ(wasi_version_of_binary(tiny_component()), "wasip2");
  EXPECT_EQ(wasi_version_of_binary("not wasm"), "");
}

TEST(Artifact, BuildsTheCncfLayout) {
  auto a = build_cncf_artifact(tiny_component(), "app.wasm");
  auto config = nlohmann::json::parse(a.config);
  EXPECT_EQ(config["os"], "wasip2");
  EXPECT_EQ(config["architecture"], "wasm");
  EXPECT_TRUE(config.contains("component"));
  EXPECT_EQ(config["layerDigests"][0], sha256_digest(tiny_component()));
  auto loc = locate_wasm(nlohmann::json::parse(a.manifest), a.config, "x");
  EXPECT_EQ(loc.kind, ArtifactKind::CncfV0);
  EXPECT_EQ(loc.wasi_version, "wasip2");
  EXPECT_THROW(build_cncf_artifact("garbage", "garbage.bin"), wasmlet::UsageError);
}

TEST(Artifact, DetectsEveryLayout) {
  auto m = tiny_module();
  EXPECT_EQ(locate_wasm(manifest_with(media_type::kWasmConfigV1, {{media_type::kWasmContentLayerV1, m}}), "{}", "x").kind,
            ArtifactKind::WasmToOciV1);
  EXPECT_EQ(locate_wasm(manifest_with(media_type::kSpinConfig, {{media_type::kWasmContentLayerV1, m}, {"application/vnd.wasm.content.bundle.v1.tar", "d"}}), "{}", "x").kind,
            ArtifactKind::Spin);
  EXPECT_EQ(locate_wasm(manifest_with("application/vnd.oci.image.config.v1+json", {{media_type::kComponentLayerV0, m}}), "{}", "x").kind,
            ArtifactKind::ComponentLayerV0);
  EXPECT_EQ(locate_wasm(manifest_with("application/vnd.module.wasm.config.v1+json", {{media_type::kSoloModuleLayer, m}}), "{}", "x").kind,
            ArtifactKind::SoloModule);
  auto compat = locate_wasm(manifest_with(media_type::kOciConfig, {{media_type::kOciLayerTarGzip, "x"}}), R"({"os":"linux","architecture":"amd64"})", "x");
  EXPECT_EQ(compat.kind, ArtifactKind::SoloCompat);
  EXPECT_EQ(compat.path_in_tar, "plugin.wasm");
  auto plain = locate_wasm(manifest_with(media_type::kOciConfig, {{media_type::kOciLayerTarGzip, "x"}}),
                           R"({"os":"wasip1","architecture":"wasm","config":{"Entrypoint":["/app.wasm"]}})", "x");
  EXPECT_EQ(plain.kind, ArtifactKind::PlainImage);
  EXPECT_EQ(plain.path_in_tar, "/app.wasm");
  EXPECT_EQ(plain.wasi_version, "wasip1");
}

TEST(Artifact, RejectionsExplainWhy) {
  auto two = manifest_with(media_type::kWasmConfigV0, {{media_type::kWasmLayer, "a"}, {media_type::kWasmLayer, "b"}});
  try {
    locate_wasm(two, "{}", "ghcr.io/o/app:1");
    FAIL();
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("exactly one application/wasm layer, found 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ghcr.io/o/app:1"), std::string::npos);
  }
  auto p2 = manifest_with(media_type::kWasmConfigV0, {{media_type::kWasmLayer, "a"}});
  EXPECT_THROW(locate_wasm(p2, R"({"os":"wasip2"})", "x"), RegistryError);  // component field required
  auto linux_img = manifest_with(media_type::kOciConfig, {{media_type::kOciLayerTarGzip, "a"}, {media_type::kOciLayerTarGzip, "b"}});
  try {
    locate_wasm(linux_img, R"({"os":"linux","architecture":"amd64"})", "alpine");
    FAIL();
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("ordinary container image"), std::string::npos) << e.what();
  }
}

// Found by fuzz/registry_fuzzer.cpp: a size of 5.0e19 (a float past 2^64)
// was converted to uint64 (undefined behaviour), a negative size wrapped.
TEST(Artifact, DescriptorSizeMustBeANonNegativeInteger) {
  nlohmann::json d = {{"mediaType", media_type::kWasmLayer}, {"digest", sha256_digest("a")}, {"size", 1}};
  EXPECT_EQ(Descriptor::from_json(d, "x").size, 1u);
  for (const char* size : {"50111111111111111110", "-1", "1.5", "\"1\"", "null"}) {
    d["size"] = nlohmann::json::parse(size);
    try {
      Descriptor::from_json(d, "ghcr.io/o/app:1 layer 0");
      ADD_FAILURE() << "size " << size << " was accepted";
    } catch (const RegistryError& e) {
      EXPECT_NE(std::string(e.what()).find("ghcr.io/o/app:1 layer 0"), std::string::npos) << e.what();
    }
  }
  // In an index too: select_wasm_platform reads every entry's descriptor.
  nlohmann::json index = {{"schemaVersion", 2}, {"manifests", nlohmann::json::array()}};
  d["size"] = nlohmann::json::parse("50111111111111111110");
  d["platform"] = {{"os", "wasip1"}, {"architecture", "wasm"}};
  index["manifests"].push_back(d);
  EXPECT_THROW(select_wasm_platform(index, "x"), RegistryError);
}

// Found by fuzz_registry in CI: a config whose "os" is an object made
// nlohmann's value() throw type_error out of locate_wasm (the process
// ended). Members of the wrong type now read as missing.
TEST(Artifact, MembersOfTheWrongTypeReadAsMissing) {
  auto image = manifest_with(media_type::kOciConfig, {{media_type::kOciLayerTarGzip, "a"}, {media_type::kOciLayerTarGzip, "b"}});
  try {
    locate_wasm(image, R"({"os":{"Entrypoint":["/app.wasm"]}})", "ghcr.io/o/app:1");
    FAIL() << "an image without a wasm os was accepted";
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("ordinary container image"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ghcr.io/o/app:1"), std::string::npos) << e.what();
  }
  auto cncf = manifest_with(media_type::kWasmConfigV0, {{media_type::kWasmLayer, "a"}});
  cncf["config"]["mediaType"] = 7;
  EXPECT_EQ(locate_wasm(cncf, R"({"os":[1]})", "x").kind, ArtifactKind::CncfV0);
  nlohmann::json d = {{"mediaType", {{"not", "a string"}}}, {"digest", sha256_digest("a")}, {"size", 1}};
  EXPECT_EQ(Descriptor::from_json(d, "x").media_type, "");
}

TEST(Artifact, ExtractsFromTarAndTarGzip) {
  auto tar = make_tar({{"etc/readme", "hi"}, {"app.wasm", tiny_module()}});
  EXPECT_EQ(extract_wasm_from_tar(tar, "", "x"), tiny_module());
  EXPECT_EQ(extract_wasm_from_tar(gzip(tar), "/app.wasm", "x"), tiny_module());
  try {
    extract_wasm_from_tar(gzip(tar), "/other.wasm", "img");
    FAIL();
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("no file \"/other.wasm\""), std::string::npos) << e.what();
  }
  auto two = make_tar({{"a.wasm", tiny_module()}, {"b.wasm", tiny_module('b')}});
  EXPECT_THROW(extract_wasm_from_tar(two, "", "x"), RegistryError);
  EXPECT_THROW(extract_wasm_from_tar(gzip(tar).substr(0, 20), "", "x"), RegistryError);
}

TEST(Artifact, IndexResolvesToTheWasmPlatform) {
  nlohmann::json index = {{"schemaVersion", 2}, {"manifests", nlohmann::json::array()}};
  auto add = [&](const char* os, const char* arch, char c) {
    index["manifests"].push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                  {"digest", "sha256:" + std::string(64, c)},
                                  {"size", 10},
                                  {"platform", {{"os", os}, {"architecture", arch}}}});
  };
  add("linux", "amd64", 'a');
  add("linux", "arm64", 'b');
  try {
    select_wasm_platform(index, "img");
    FAIL();
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("linux/amd64, linux/arm64"), std::string::npos) << e.what();
  }
  add("wasip1", "wasm", 'c');
  EXPECT_EQ(select_wasm_platform(index, "img").digest, "sha256:" + std::string(64, 'c'));
}
