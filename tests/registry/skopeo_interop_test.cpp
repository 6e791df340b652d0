// skopeo as an independent client, in both directions.
#include <gtest/gtest.h>

#include "daemon_process.h"
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

namespace {

// Writes `bytes` under blobs/sha256/ of the layout at `dir`; returns its descriptor.
nlohmann::json put_blob(const fs::path& dir, const std::string& media_type, const std::string& bytes) {
  std::string digest = sha256_digest(bytes);
  write_text(dir / "blobs/sha256" / digest.substr(7), bytes);
  return {{"mediaType", media_type}, {"digest", digest}, {"size", bytes.size()}};
}

}  // namespace

// skopeo -> wasmlet with a real program: an OCI layout written here by plain
// file writes (not by wasmlet) holding the CNCF artifact of hello.wasm
// (examples/hello, compiled from C at build time); skopeo copies it into the
// registry, `wasmlet pull` fetches it, and the daemon runs the pulled image.
TEST(SkopeoInterop, SkopeoCopiedCncfArtifactOfACProgramPullsAndRuns) {
  if (!fs::exists(WASMLET_BIN)) GTEST_SKIP() << WASMLET_BIN << " is not built";
  std::string wasm = read_text(fs::path(WASM_DIR) / "hello.wasm");
  ASSERT_GT(wasm.size(), 1000u) << "build/wasm/hello.wasm missing or empty";
  RegistryProcess registry;
  TempDir dir;
  fs::path layout = dir.path() / "layout";
  fs::create_directories(layout / "blobs/sha256");
  auto layer = put_blob(layout, "application/wasm", wasm);
  nlohmann::json config_json = {{"created", "2024-01-01T00:00:00Z"}, {"architecture", "wasm"}, {"os", "wasip1"},
                                {"layerDigests", {layer["digest"]}}};
  auto config = put_blob(layout, "application/vnd.wasm.config.v0+json", config_json.dump());
  nlohmann::json manifest_json = {{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                  {"config", config}, {"layers", {layer}}};
  auto manifest = put_blob(layout, "application/vnd.oci.image.manifest.v1+json", manifest_json.dump());
  manifest["annotations"] = {{"org.opencontainers.image.ref.name", "v1"}};
  write_text(layout / "index.json", nlohmann::json{{"schemaVersion", 2}, {"manifests", {manifest}}}.dump());
  write_text(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");

  std::string ref = registry.host() + "/interop/hello:v1", out;
  ASSERT_EQ(run("skopeo copy --dest-tls-verify=false oci:" + layout.string() + ":v1 docker://" + ref, &out), 0) << out;
  // What skopeo uploaded is byte for byte our manifest.
  ASSERT_EQ(run("skopeo inspect --raw --tls-verify=false docker://" + ref, &out), 0) << out;
  EXPECT_EQ(sha256_digest(out), manifest["digest"]);

  fs::path data = dir.path() / "data";
  auto wasmlet = [&](const std::string& args, std::string* output) {
    return run("WASMLET_DATA_DIR=" + data.string() + " HOME=" + dir.path().string() + " " + WASMLET_BIN + " " + args, output);
  };
  ASSERT_EQ(wasmlet("pull " + ref, &out), 0) << out;
  EXPECT_NE(out.find("Pulled " + ref + " " + manifest["digest"].get<std::string>() + " (wasip1, cncf-wasm-v0"), std::string::npos) << out;

  // The daemon runs the stored image (pull_policy never: it may not fetch it itself).
  DaemonProcess daemon(data);
  write_text(dir.path() / "spec.yaml", "version: v1\ndeployment: interop\nservices:\n  hello:\n    image:\n      name: " + ref +
                                           "\n      pull_policy: never\n    env:\n      GREETING: copied-by-skopeo\n"
                                           "    command:\n      args: [\"world\"]\n");
  ASSERT_EQ(wasmlet("up -f " + (dir.path() / "spec.yaml").string() + " " + daemon.data_dir_flag(), &out), 0) << out;
  ASSERT_EQ(wasmlet("wait hello-rep-0 " + daemon.data_dir_flag(), &out), 0) << out;
  ASSERT_EQ(wasmlet("logs hello-rep-0 " + daemon.data_dir_flag(), &out), 0) << out;
  EXPECT_EQ(out, "copied-by-skopeo, world! (argc=2)\n");
}
