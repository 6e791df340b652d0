// Retries with backoff on 5xx, against a flaky HTTP server on 127.0.0.1.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "wasmlet/registry/distribution_client.h"
#include "wasmlet/registry/registry_error.h"

using namespace wasmlet::registry;

TEST(Transport, RetriesOn5xxWithBackoff) {
  httplib::Server server;
  std::atomic<int> hits{0};
  const std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]})";
  server.Get("/v2/flaky/app/manifests/1", [&](const httplib::Request&, httplib::Response& res) {
    if (++hits <= 2) {
      res.status = 503;
      return;
    }
    res.set_content(body, "application/vnd.oci.image.manifest.v1+json");
  });
  server.Get("/v2/down/app/manifests/1", [&](const httplib::Request&, httplib::Response& res) { res.status = 502; });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  ClientOptions o;
  o.retry = {4, std::chrono::milliseconds(20)};
  DistributionClient client(o);
  auto start = std::chrono::steady_clock::now();
  auto m = client.get_manifest(Reference::parse("127.0.0.1:" + std::to_string(port) + "/flaky/app:1"));
  EXPECT_EQ(hits, 3);
  EXPECT_EQ(m.bytes, body);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(60));  // 20 + 40 ms of backoff
  try {
    client.get_manifest(Reference::parse("127.0.0.1:" + std::to_string(port) + "/down/app:1"));
    ADD_FAILURE();
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 502"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("repository down/app"), std::string::npos) << e.what();
  }
  server.stop();
  t.join();
}

// A registry that sends more than it should, or never stops: a manifest past
// 4 MiB and a blob past its descriptor's size end the transfer with an error
// naming what was fetched, before memory or the disk fill up.
TEST(Transport, EndlessBodiesAreCutOff) {
  httplib::Server server;
  auto endless = [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/octet-stream", [](size_t, httplib::DataSink& sink) {
      static const std::string chunk(64 * 1024, '{');
      return sink.write(chunk.data(), chunk.size());  // until the client hangs up
    });
  };
  server.Get("/v2/big/app/manifests/1", endless);
  server.Get(R"(/v2/big/app/blobs/(.*))", endless);
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  ClientOptions o;
  o.retry = {1, std::chrono::milliseconds(10)};
  DistributionClient client(o);
  const Reference ref = Reference::parse("127.0.0.1:" + std::to_string(port) + "/big/app:1");
  try {
    client.get_manifest(ref);
    ADD_FAILURE() << "an endless manifest was accepted";
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("larger than 4194304 bytes"), std::string::npos) << e.what();
  }
  const auto dest = std::filesystem::temp_directory_path() / ("wasmlet-endless-blob-" + std::to_string(getpid()));
  Descriptor blob;
  blob.digest = "sha256:" + std::string(64, 'a');
  blob.size = 100;
  try {
    client.fetch_blob(ref, blob, dest);
    ADD_FAILURE() << "an endless blob was accepted";
  } catch (const DigestMismatchError& e) {
    EXPECT_NE(std::string(e.what()).find("longer than the 100 bytes its descriptor says"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dest)) << "the partial download is removed";
  server.stop();
  t.join();
}
