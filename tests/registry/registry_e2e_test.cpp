// Pull/push/store against a real docker-registry on 127.0.0.1.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>

#include "push_helpers.h"
#include "registry_fixture.h"
#include "wasmlet/registry/artifact.h"
#include "wasmlet/registry/image_store.h"
#include "wasmlet/registry/pull_policy.h"
#include "wasmlet/registry/registry_error.h"

using namespace wasmlet::registry;
using namespace wasmlet::registry::testing;

class RegistryE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { registry_ = std::make_unique<RegistryProcess>(); }
  static void TearDownTestSuite() { registry_.reset(); }
  Reference ref(const std::string& repo_tag) { return Reference::parse(registry_->host() + "/" + repo_tag); }
  ClientOptions fast() {
    ClientOptions o;
    o.retry = {2, std::chrono::milliseconds(10)};
    return o;
  }

  static std::unique_ptr<RegistryProcess> registry_;
  TempDir data_;
  ImageStore store_{data_.path() / "oci"};
};
std::unique_ptr<RegistryProcess> RegistryE2E::registry_;

TEST_F(RegistryE2E, AnonymousPushPullRoundTrip) {
  DistributionClient client(fast());
  auto r = ref("roundtrip/app:v1");
  std::string digest = push_wasm(client, tiny_module('r'), "app.wasm", r);
  EXPECT_TRUE(digest.starts_with("sha256:"));
  auto result = pull_image(store_, client, r);
  ASSERT_TRUE(result.image);
  EXPECT_TRUE(result.pulled);
  EXPECT_EQ(result.image->manifest.digest, digest);
  EXPECT_EQ(result.image->wasi_version, "wasip1");
  EXPECT_EQ(result.image->kind, "cncf-wasm-v0");
  EXPECT_EQ(result.fetched_blobs.size(), 3u);  // config, layer, manifest
  EXPECT_EQ(store_.wasm_bytes(*result.image), tiny_module('r'));
  // The store is an OCI image layout.
  EXPECT_EQ(nlohmann::json::parse(read_text(store_.root() / "oci-layout"))["imageLayoutVersion"], "1.0.0");
  auto index = nlohmann::json::parse(read_text(store_.root() / "index.json"));
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], r.str());
  EXPECT_TRUE(std::filesystem::exists(store_.root() / "blobs/sha256" / digest.substr(7)));
  // By digest too.
  auto by_digest = pull_image(store_, client, Reference::parse(r.name() + "@" + digest));
  EXPECT_TRUE(by_digest.fetched_blobs.empty());
  EXPECT_EQ(by_digest.image->manifest.digest, digest);
}

TEST_F(RegistryE2E, CncfWasip2ComponentConfig) {
  DistributionClient client(fast());
  auto r = ref("component/app:p2");
  push_wasm(client, tiny_component(), "c.wasm", r);
  auto img = *pull_image(store_, client, r).image;
  EXPECT_EQ(img.wasi_version, "wasip2");
  auto m = nlohmann::json::parse(store_.read_blob(img.manifest.digest, kMaxManifestBytes));
  auto config = nlohmann::json::parse(store_.read_blob(m["config"]["digest"], kMaxConfigBytes));
  EXPECT_EQ(m["config"]["mediaType"], media_type::kWasmConfigV0);
  EXPECT_EQ(m["layers"][0]["mediaType"], media_type::kWasmLayer);
  EXPECT_EQ(config["os"], "wasip2");
  EXPECT_TRUE(config.contains("component"));
  EXPECT_EQ(store_.wasm_bytes(img), tiny_component());
}

TEST_F(RegistryE2E, WasmToOciLayout) {
  DistributionClient client(fast());
  auto r = ref("w2o/app:1");
  push_raw(client, r, {media_type::kWasmConfigV1, "{}", {{media_type::kWasmContentLayerV1, tiny_module('w')}}});
  auto img = *pull_image(store_, client, r).image;
  EXPECT_EQ(img.kind, "wasm-to-oci-v1");
  EXPECT_EQ(img.wasi_version, "wasip1");  // from the binary: the config has none
  EXPECT_EQ(store_.wasm_bytes(img), tiny_module('w'));
}

TEST_F(RegistryE2E, PlainSingleLayerTarGzipImage) {
  DistributionClient client(fast());
  auto r = ref("plain/app:1");
  std::string layer = gzip(make_tar({{"etc/motd", "hello"}, {"app.wasm", tiny_module('p')}}));
  std::string config = R"({"architecture":"wasm","os":"wasi","config":{"Entrypoint":["/app.wasm"]},"rootfs":{"type":"layers","diff_ids":[]}})";
  push_raw(client, r, {media_type::kOciConfig, config, {{media_type::kOciLayerTarGzip, layer}}});
  auto img = *pull_image(store_, client, r).image;
  EXPECT_EQ(img.kind, "image");
  EXPECT_EQ(img.wasi_version, "wasip1");
  EXPECT_EQ(store_.wasm_bytes(img), tiny_module('p'));
}

TEST_F(RegistryE2E, SoloCompatTarGzipWithPluginWasm) {
  DistributionClient client(fast());
  auto r = ref("solo/filter:1");
  std::string layer = gzip(make_tar({{"plugin.wasm", tiny_module('s')}}));
  push_raw(client, r, {media_type::kOciConfig, R"({"os":"linux","architecture":"amd64"})", {{media_type::kOciLayerTarGzip, layer}}});
  auto img = *pull_image(store_, client, r).image;
  EXPECT_EQ(img.kind, "solo-wasm-compat");
  EXPECT_EQ(store_.wasm_bytes(img), tiny_module('s'));
}

TEST_F(RegistryE2E, IndexWithSeveralPlatformsResolvesToWasm) {
  DistributionClient client(fast());
  auto r = ref("multi/app:1");
  auto linux_layer = gzip(make_tar({{"bin/sh", "#!"}}));
  auto amd64 = push_raw(client, r, {media_type::kOciConfig, R"({"os":"linux","architecture":"amd64"})", {{media_type::kOciLayerTarGzip, linux_layer}}}, "amd64");
  auto arm64 = push_raw(client, r, {media_type::kOciConfig, R"({"os":"linux","architecture":"arm64"})", {{media_type::kOciLayerTarGzip, linux_layer + "x"}}}, "arm64");
  auto wasm = push_raw(client, r, {media_type::kWasmConfigV0, R"({"os":"wasip1","architecture":"wasm"})", {{media_type::kWasmLayer, tiny_module('i')}}}, "wasm");
  amd64["platform"] = {{"os", "linux"}, {"architecture", "amd64"}};
  arm64["platform"] = {{"os", "linux"}, {"architecture", "arm64"}};
  wasm["platform"] = {{"os", "wasip1"}, {"architecture", "wasm"}};
  nlohmann::json index = {{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", {amd64, arm64, wasm}}};
  client.put_manifest(r, "1", kOciIndex, index.dump());
  auto img = *pull_image(store_, client, r).image;
  EXPECT_EQ(img.manifest.digest, wasm["digest"]);
  EXPECT_EQ(store_.wasm_bytes(img), tiny_module('i'));

  auto linux_only = ref("multi/app:linux");
  nlohmann::json lindex = {{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", {amd64, arm64}}};
  client.put_manifest(linux_only, "linux", kOciIndex, lindex.dump());
  try {
    pull_image(store_, client, linux_only);
    FAIL();
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("no WebAssembly platform"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("linux/amd64"), std::string::npos) << e.what();
  }
}

TEST_F(RegistryE2E, DigestMismatchFromTheRegistryIsDetected) {
  DistributionClient client(fast());
  auto r = ref("corrupt/remote:1");
  push_wasm(client, tiny_module('c'), "c.wasm", r);
  // Flip the stored layer bytes on the registry's disk.
  auto digest = sha256_digest(tiny_module('c'));
  std::string bad = tiny_module('c');
  bad.back() ^= 1;
  write_text(registry_->blob_data(digest), bad);
  try {
    pull_image(store_, client, r);
    FAIL();
  } catch (const DigestMismatchError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(digest), std::string::npos) << msg;
    EXPECT_NE(msg.find(registry_->host()), std::string::npos) << msg;
    EXPECT_NE(msg.find("corrupt/remote"), std::string::npos) << msg;
  }
  EXPECT_FALSE(store_.has_blob(digest));  // nothing unverified is kept
}

TEST_F(RegistryE2E, CorruptStoredBlobIsDetectedAndRefetched) {
  DistributionClient client(fast());
  auto r = ref("corrupt/local:1");
  push_wasm(client, tiny_module('l'), "l.wasm", r);
  auto img = *pull_image(store_, client, r).image;
  auto layer = sha256_digest(tiny_module('l'));
  write_text(store_.blob_path(layer), "garbage");
  try {
    store_.wasm_bytes(img);
    FAIL();
  } catch (const DigestMismatchError& e) {
    EXPECT_NE(std::string(e.what()).find("is corrupt"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(r.str()), std::string::npos) << e.what();
  }
  EXPECT_EQ(store_.damaged_blobs(img), std::vector<std::string>{layer});
  // Never does not touch the registry (and leaves the damage)...
  auto never = pull_image_with_policy(store_, client, r, PullPolicy::Never);
  EXPECT_FALSE(never.pulled);
  // ...IfNotPresent sees the damage and refetches only that blob.
  auto again = pull_image_with_policy(store_, client, r, PullPolicy::IfNotPresent);
  EXPECT_TRUE(again.pulled);
  EXPECT_EQ(again.fetched_blobs, std::vector<std::string>{layer});
  EXPECT_EQ(store_.wasm_bytes(*again.image), tiny_module('l'));
}

TEST_F(RegistryE2E, ConcurrentPullsFetchEachBlobOnce) {
  DistributionClient pusher(fast());
  auto r = ref("concurrent/app:1");
  std::string big = tiny_module('x') + std::string("\x00\x80\x80\x40\x01z", 6) + std::string(1 << 20, 'z');  // 1 MiB custom section
  push_wasm(pusher, big, "big.wasm", r);
  constexpr int kPullers = 6;
  std::vector<std::thread> threads;
  std::vector<PullResult> results(kPullers);
  std::atomic<int> errors{0};
  for (int i = 0; i < kPullers; ++i)
    threads.emplace_back([&, i] {
      try {
        DistributionClient client(fast());
        ImageStore store(data_.path() / "oci");  // each its own store object: the lock is on disk
        results[i] = pull_image(store, client, r);
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++errors;
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(errors, 0);
  std::multiset<std::string> fetched;
  for (auto& res : results) fetched.insert(res.fetched_blobs.begin(), res.fetched_blobs.end());
  EXPECT_EQ(fetched.size(), 3u);                                      // config, layer, manifest...
  EXPECT_EQ(std::set<std::string>(fetched.begin(), fetched.end()).size(), 3u);  // ...each once
  EXPECT_EQ(store_.list().size(), 1u);
  EXPECT_EQ(store_.wasm_bytes(*store_.find(r)), big);
}

TEST_F(RegistryE2E, PullPolicies) {
  DistributionClient client(fast());
  auto r = ref("policy/app:1");
  // Never with nothing stored: no registry contact, nothing stored (as the seed).
  auto never = pull_image_with_policy(store_, client, r, PullPolicy::Never);
  EXPECT_FALSE(never.pulled);
  EXPECT_FALSE(never.image);
  push_wasm(client, tiny_module('1'), "1.wasm", r);
  auto first = pull_image_with_policy(store_, client, r, PullPolicy::IfNotPresent);
  EXPECT_TRUE(first.pulled);
  // The tag moves on the registry.
  push_wasm(client, tiny_module('2'), "2.wasm", r);
  auto cached = pull_image_with_policy(store_, client, r, PullPolicy::IfNotPresent);
  EXPECT_FALSE(cached.pulled);
  EXPECT_EQ(store_.wasm_bytes(*cached.image), tiny_module('1'));
  EXPECT_EQ(store_.wasm_bytes(*pull_image_with_policy(store_, client, r, PullPolicy::Never).image), tiny_module('1'));
  auto always = pull_image_with_policy(store_, client, r, PullPolicy::Always);
  EXPECT_TRUE(always.pulled);
  EXPECT_EQ(store_.wasm_bytes(*always.image), tiny_module('2'));
  EXPECT_EQ(parse_pull_policy("if-not-present"), PullPolicy::IfNotPresent);
  EXPECT_EQ(parse_pull_policy("ALWAYS"), PullPolicy::Always);
  EXPECT_THROW(parse_pull_policy("sometimes"), wasmlet::UsageError);
}

TEST_F(RegistryE2E, TagListRemovePrune) {
  DistributionClient client(fast());
  auto a = ref("store/a:1");
  push_wasm(client, tiny_module('a'), "a.wasm", a);
  pull_image(store_, client, a);
  load_wasm(store_, tiny_module('b'), "b.wasm", Reference::parse("local/b:dev"));
  store_.tag(a.str(), registry_->host() + "/store/a:stable");
  auto list = store_.list();
  ASSERT_EQ(list.size(), 3u);
  std::set<std::string> refs;
  for (auto& i : list) refs.insert(i.reference);
  EXPECT_TRUE(refs.count("docker.io/local/b:dev"));
  EXPECT_TRUE(refs.count(registry_->host() + "/store/a:stable"));
  EXPECT_THROW(store_.tag("nothing/here:1", "x:1"), NotFoundError);

  // Nothing is unreferenced yet.
  EXPECT_EQ(store_.prune().space_reclaimed, 0u);
  // Removing one tag keeps the shared blobs; removing the last reclaims them.
  store_.remove(a.str(), false);
  EXPECT_EQ(store_.prune().space_reclaimed, 0u);
  std::vector<std::string> asked;
  auto in_use = [&](const std::string& r) {
    asked.push_back(r);
    return std::vector<std::string>{"web-rep-0", "web-rep-1"};
  };
  try {
    store_.remove(registry_->host() + "/store/a:stable", false, in_use);
    FAIL();
  } catch (const ImageInUseError& e) {
    EXPECT_NE(std::string(e.what()).find("/store/a:stable is used by instances web-rep-0, web-rep-1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(asked, std::vector<std::string>{registry_->host() + "/store/a:stable"});
  EXPECT_TRUE(store_.find(registry_->host() + "/store/a:stable"));  // refused: still there
  store_.remove(registry_->host() + "/store/a:stable", true, in_use);
  auto pruned = store_.prune();
  EXPECT_EQ(pruned.deleted.size(), 3u);
  auto expected = tiny_module('a').size();
  EXPECT_GT(pruned.space_reclaimed, expected);
  EXPECT_EQ(store_.list().size(), 1u);
  EXPECT_EQ(store_.wasm_bytes(*store_.find("local/b:dev")), tiny_module('b'));
  EXPECT_THROW(store_.remove("gone/x:1", false), NotFoundError);
}

TEST_F(RegistryE2E, ChunkedUpload) {
  ClientOptions o = fast();
  o.chunk_size = 1000;
  DistributionClient client(o);
  auto r = ref("chunked/app:1");
  std::string wasm = tiny_module('k') + std::string("\x00\x90\x4e\x01y", 5) + std::string(9999, 'y');
  push_wasm(client, wasm, "k.wasm", r);
  EXPECT_EQ(store_.wasm_bytes(*pull_image(store_, client, r).image), wasm);
}

TEST_F(RegistryE2E, ErrorsNameRegistryRepositoryAndReference) {
  DistributionClient client(fast());
  auto r = ref("missing/app:nope");
  try {
    pull_image(store_, client, r);
    FAIL();
  } catch (const NotFoundError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("registry " + registry_->host()), std::string::npos) << msg;
    EXPECT_NE(msg.find("repository missing/app"), std::string::npos) << msg;
    EXPECT_NE(msg.find("MANIFEST_UNKNOWN"), std::string::npos) << msg;
  }
  // A closed port: retried, then an error naming the URL.
  auto closed = Reference::parse("127.0.0.1:" + std::to_string(free_port()) + "/x:1");
  try {
    client.get_manifest(closed);
    FAIL();
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("after 2 attempts"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(closed.registry), std::string::npos) << e.what();
  }
  // Plain HTTP only for loopback and registries marked insecure.
  EXPECT_EQ(client.base_url(Reference::parse("ghcr.io/o/a")), "https://ghcr.io");
  EXPECT_EQ(client.base_url(Reference::parse("alpine")), "https://registry-1.docker.io");
  ClientOptions o;
  o.insecure_registries = {"myreg.lan:5000"};
  EXPECT_EQ(DistributionClient(o).base_url(Reference::parse("myreg.lan:5000/a")), "http://myreg.lan:5000");
}
