// skopeo as an independent client, in both directions.
#include <gtest/gtest.h>

#include "registry_fixture.h"
#include "wasmlet/registry/artifact.h"
#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/image_store.h"
#include "wasmlet/registry/pull_policy.h"

using namespace wasmlet::registry;
using namespace wasmlet::registry::testing;

TEST(SkopeoInterop, SkopeoInspectsWhatWasmletPushed) {
  RegistryProcess registry;
  DistributionClient client;
  auto r = Reference::parse(registry.host() + "/interop/pushed:v1");
  std::string digest = push_wasm(client, tiny_module('k'), "k.wasm", r);
  std::string out;
  ASSERT_EQ(run("skopeo inspect --raw --tls-verify=false docker://" + r.str(), &out), 0) << out;
  auto m = nlohmann::json::parse(out);
  EXPECT_EQ(sha256_digest(out), digest);
  EXPECT_EQ(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(m["config"]["mediaType"], "application/vnd.wasm.config.v0+json");
  ASSERT_EQ(m["layers"].size(), 1u);
  EXPECT_EQ(m["layers"][0]["mediaType"], "application/wasm");
  EXPECT_EQ(m["layers"][0]["digest"], sha256_digest(tiny_module('k')));
  ASSERT_EQ(run("skopeo inspect --raw --config --tls-verify=false docker://" + r.str(), &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["os"], "wasip1");
}

TEST(SkopeoInterop, WasmletPullsWhatSkopeoCopiedFromAnOciLayout) {
  RegistryProcess registry;
  TempDir dir;
  // An OCI layout written by wasmlet's own store (load), copied by skopeo into the registry.
  ImageStore layout(dir.path() / "layout");
  auto img = load_wasm(layout, tiny_component(), "c.wasm", Reference::parse("interop/copied:v2"));
  // skopeo's oci: transport names images by ref.name; give it a plain tag too.
  layout.set_reference("v2", img.manifest);
  std::string out;
  auto dst = Reference::parse(registry.host() + "/interop/copied:v2");
  ASSERT_EQ(run("skopeo copy --dest-tls-verify=false oci:" + (dir.path() / "layout").string() + ":v2 docker://" + dst.str(), &out), 0) << out;
  ImageStore store(dir.path() / "store");
  DistributionClient client;
  auto pulled = pull_image(store, client, dst).image;
  ASSERT_TRUE(pulled);
  EXPECT_EQ(pulled->wasi_version, "wasip2");
  EXPECT_EQ(store.wasm_bytes(*pulled), tiny_component());

  // And an ordinary wasi/wasm image (tar+gzip layer) written as an OCI layout by hand.
  fs::path plain = dir.path() / "plain";
  fs::create_directories(plain / "blobs/sha256");
  auto put = [&](const std::string& bytes) {
    auto d = sha256_digest(bytes);
    write_text(plain / "blobs/sha256" / d.substr(7), bytes);
    return d;
  };
  std::string layer = gzip(make_tar({{"main.wasm", tiny_module('q')}}));
  std::string config = R"({"architecture":"wasm","os":"wasip1","config":{"Entrypoint":["/main.wasm"]},"rootfs":{"type":"layers","diff_ids":[")" +
                       sha256_digest(make_tar({{"main.wasm", tiny_module('q')}})) + R"("]}})";
  nlohmann::json manifest = {{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                             {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", put(config)}, {"size", config.size()}}},
                             {"layers", {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"}, {"digest", put(layer)}, {"size", layer.size()}}}}};
  std::string mbytes = manifest.dump();
  nlohmann::json index = {{"schemaVersion", 2},
                          {"manifests", {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", put(mbytes)}, {"size", mbytes.size()},
                                          {"annotations", {{"org.opencontainers.image.ref.name", "wasi"}}}}}}};
  write_text(plain / "index.json", index.dump());
  write_text(plain / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  auto dst2 = Reference::parse(registry.host() + "/interop/plain:wasi");
  ASSERT_EQ(run("skopeo copy --dest-tls-verify=false oci:" + plain.string() + ":wasi docker://" + dst2.str(), &out), 0) << out;
  auto p2 = pull_image(store, client, dst2).image;
  ASSERT_TRUE(p2);
  EXPECT_EQ(p2->kind, "image");
  EXPECT_EQ(store.wasm_bytes(*p2), tiny_module('q'));
}
