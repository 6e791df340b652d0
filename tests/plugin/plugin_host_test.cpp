// The host: list, unload, names, the image seam, and 8 threads on one plugin.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>

#include "plugin_support.h"

using namespace wasmlet;
using namespace wasmlet::testing;
using json = nlohmann::json;

TEST(PluginHost, ListAndUnload) {
  PluginHost host;
  host.load_file(plugin_wasm("json_transform"));
  host.load_file(plugin_wasm("echo"));
  auto list = host.list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "echo");
  EXPECT_EQ(list[0].version, "1.0.0");
  EXPECT_EQ(list[0].exports, std::vector<std::string>{"execute"});
  EXPECT_EQ(list[1].name, "json_transform");
  EXPECT_EQ(list[1].description, "changes the case of every string value in a JSON document");
  EXPECT_THROW(host.load_file(plugin_wasm("echo")), UsageError) << "names are unique";
  EXPECT_EQ(host.call("echo", "execute", json{{"a", 1}}), (json{{"a", 1}}));

  auto held = host.get("echo");
  EXPECT_TRUE(host.unload("echo"));
  EXPECT_FALSE(host.unload("echo"));
  EXPECT_EQ(host.get("echo"), nullptr);
  EXPECT_EQ(host.list().size(), 1u);
  auto e = expect_plugin_error([&] { host.call("echo", "execute", json(nullptr)); });
  EXPECT_EQ(e.kind(), PluginError::Kind::NotFound);
  EXPECT_STREQ(e.what(), "plugin 'echo' export 'execute': no plugin with this name is loaded");
  // A caller holding the plugin may still call it after the unload.
  EXPECT_EQ(held->call("execute", json(2)), 2);
}

TEST(PluginHost, ExportsAreListedWithSignatures) {
  PluginHost host;
  auto p = host.load_file(plugin_wasm("plugin_hostile"));
  bool saw_wrong_type = false, saw_execute = false;
  for (const auto& e : p->exports()) {
    EXPECT_NE(e.name, "_initialize");
    if (e.name == "wrong_type") {
      saw_wrong_type = true;
      EXPECT_FALSE(e.callable);
      EXPECT_EQ(e.signature, "(i32) -> (i32)");
    }
    if (e.name == "execute") {
      saw_execute = true;
      EXPECT_TRUE(e.callable);
    }
  }
  EXPECT_TRUE(saw_wrong_type && saw_execute);
  EXPECT_TRUE(p->uses_wasi());
}

namespace {
struct MapImageSource : PluginImageSource {
  std::map<std::string, std::vector<uint8_t>, std::less<>> images;
  std::vector<uint8_t> fetch_wasm(std::string_view ref) override {
    auto it = images.find(ref);
    if (it == images.end()) throw Error("no such image: " + std::string(ref));
    return it->second;
  }
};
std::vector<uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST(PluginHost, LoadsFromAnImageReferenceThroughTheImageSource) {
  PluginHost host;
  EXPECT_THROW(host.load_image("localhost:5000/plugins/echo:1.0"), UsageError);
  auto source = std::make_shared<MapImageSource>();
  source->images["localhost:5000/plugins/thing:1.0"] = read_bytes(plugin_wasm("plugin_entry_run"));
  source->images["localhost:5000/plugins/echo:1.0"] = read_bytes(plugin_wasm("echo"));
  host.set_image_source(source);
  EXPECT_EQ(host.load_image("localhost:5000/plugins/echo:1.0")->name(), "echo");  // from its metadata
  EXPECT_EQ(host.load_image("localhost:5000/plugins/thing:1.0")->name(), "thing");  // from the reference
  EXPECT_EQ(host.call("thing", "", json(nullptr)), "run");
}

TEST(PluginHost, EightThreadsCallOnePluginConcurrently) {
  PluginHost host;
  auto p = host.load_file(plugin_wasm("json_transform"));
  constexpr int kThreads = 8, kCalls = 40;
  std::atomic<int> ok{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        std::string word = "thread" + std::to_string(t) + "call" + std::to_string(i);
        json out = host.call("json_transform", "execute", json{{"w", word}, {"i", i}});
        std::string upper = word;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (out["transformed"]["w"] == upper && out["transformed"]["i"] == i) ++ok;
        else ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kCalls);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(PluginHost, InterruptAllStopsRunningCalls) {
  PluginHost host;
  PluginOptions o;
  o.limits.timeout = std::chrono::seconds(30);
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    p->interrupt_all();
  });
  auto start = std::chrono::steady_clock::now();
  auto e = expect_plugin_error([&] { p->call("loop", json(nullptr)); });
  stopper.join();
  EXPECT_EQ(e.kind(), PluginError::Kind::Trap) << e.what();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}
