// Hostile plugins (bad pointers, huge lengths, invalid output, traps) get a
// clear error naming plugin and export; the host and other plugins go on.
#include <gtest/gtest.h>

#include "plugin_support.h"

using namespace wasmlet;
using namespace wasmlet::testing;
using json = nlohmann::json;

namespace {
struct Case {
  const char* export_name;
  PluginError::Kind kind;
  const char* message;  // expected in what()
};
}  // namespace

TEST(PluginHostile, EveryMisbehaviourIsAClearErrorAndTheHostGoesOn) {
  PluginHost host;
  auto hostile = host.load_file(plugin_wasm("plugin_hostile"));
  auto good = host.load_file(plugin_wasm("json_transform"));
  const Case cases[] = {
      {"bad_pointer", PluginError::Kind::Trap, "output_set: range [0xffffff00, +64) is outside the plugin's memory"},
      {"huge_length", PluginError::Kind::Trap, "output_set: length 2147483647 exceeds the output limit of 16777216 bytes"},
      {"bad_input_buffer", PluginError::Kind::Trap, "input_read: range [0xfffffff0, +4) is outside the plugin's memory"},
      {"bad_log", PluginError::Kind::Trap, "log: range [0x7ffffff0, +100) is outside the plugin's memory"},
      {"invalid_utf8", PluginError::Kind::BadOutput, "output is not valid UTF-8 (byte 4 of 7)"},
      {"invalid_json", PluginError::Kind::BadOutput, "output is not valid JSON"},
      {"no_output", PluginError::Kind::BadOutput, "returned without setting an output"},
      {"nul_in_json", PluginError::Kind::BadOutput, "output is not valid JSON (byte 11 is a NUL, which JSON text cannot hold)"},
      {"trap", PluginError::Kind::Trap, "trap: unreachable"},
  };
  for (int round = 0; round < 3; ++round) {
    for (const auto& c : cases) {
      auto e = expect_plugin_error([&] { hostile->call(c.export_name, json("hi")); });
      EXPECT_EQ(e.kind(), c.kind) << c.export_name << ": " << e.what();
      EXPECT_EQ(e.plugin(), "hostile");
      EXPECT_EQ(e.export_name(), c.export_name);
      std::string what = e.what();
      EXPECT_EQ(what.rfind(std::string("plugin 'hostile' export '") + c.export_name + "': ", 0), 0u) << what;
      EXPECT_NE(what.find(c.message), std::string::npos) << c.export_name << ": " << what;
      // The same plugin and another plugin still answer correctly.
      EXPECT_EQ(hostile->call("execute", json{{"round", round}}), (json{{"round", round}}));
      EXPECT_EQ(good->call("execute", json{{"a", "b"}})["transformed"]["a"], "B");
    }
  }
}

TEST(PluginHostile, HugeInputIsCopiedOnlyIntoTheGuestsBuffer) {
  PluginHost host;
  PluginOptions o;
  o.limits.max_memory_bytes = 2u << 20;
  auto p = host.load_file(plugin_wasm("echo"), o);
  std::vector<uint8_t> big(4u << 20, 'a');  // larger than the plugin may allocate
  auto e = expect_plugin_error([&] { p->call("execute", std::span<const uint8_t>(big)); });
  EXPECT_EQ(e.kind(), PluginError::Kind::Failed) << e.what();
  EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos) << e.what();
  EXPECT_EQ(p->call("execute", json{1, 2}), (json{1, 2}));
}

// The value call() returns is handed to the embedding program, whose
// copies and dump()s recurse per level: output nested deeper than
// kMaxOutputJsonDepth is refused, not returned to overflow its stack.
TEST(PluginHostile, OutputNestedTooDeepIsRefused) {
  PluginHost host;
  auto p = host.load_file(plugin_wasm("echo"));
  auto nested = [](int depth) {
    json v = 1;
    for (int i = 0; i < depth; ++i) v = json::array({std::move(v)});
    return v;
  };
  const int limit = Plugin::kMaxOutputJsonDepth;
  EXPECT_EQ(p->call("execute", nested(limit)), nested(limit));
  auto e = expect_plugin_error([&] { p->call("execute", nested(limit + 1)); });
  EXPECT_EQ(e.kind(), PluginError::Kind::BadOutput) << e.what();
  EXPECT_NE(std::string(e.what()).find("output nests JSON more than 512 levels deep"), std::string::npos) << e.what();
  // As text it is returned as it is: valid JSON, and not parsed here.
  EXPECT_EQ(p->call_json("execute", nested(limit + 1).dump()), nested(limit + 1).dump());
}

TEST(PluginHostile, ModulesImportingUnknownHostFunctionsAreRefusedAtLoad) {
  // (module (import "env" "system" (func)))
  const uint8_t wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
                          0x02, 0x0e, 0x01, 0x03, 'e',  'n',  'v',  0x06, 's',  'y',  's',  't',  'e',  'm',  0x00, 0x00};
  PluginHost host;
  try {
    host.load_bytes(wasm, "sneaky");
    FAIL() << "loaded";
  } catch (const PluginError& e) {
    EXPECT_EQ(e.kind(), PluginError::Kind::Instantiate);
    EXPECT_NE(std::string(e.what()).find("plugin 'sneaky': imports env.system"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(host.list().empty());
}

TEST(PluginHostile, GarbageBytesAreACompileError) {
  PluginHost host;
  const uint8_t junk[] = {1, 2, 3, 4};
  EXPECT_THROW(host.load_bytes(junk, "junk"), CompileError);
}

// Output without newlines is logged as one line cut at 64 KiB; the host
// does not keep the rest (a plugin could otherwise grow the host's memory
// without bound, its own limit notwithstanding).
TEST(PluginHostile, OutputWithoutNewlinesIsCutNotKept) {
  PluginHost host;
  PluginOptions o;
  CollectedLog log;
  o.log = log.sink();
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  p->call("flood_stdout", json(64));  // 64 MiB of 'A' in 1 MiB writes, then "\nok\n"
  std::lock_guard lock(*log.mu);
  ASSERT_EQ(log.lines->size(), 2u);
  EXPECT_EQ(log.lines->at(0), "hostile INFO " + std::string(64 * 1024, 'A'));
  EXPECT_EQ(log.lines->at(1), "hostile INFO ok");
}

// A plugin writing for ever is stopped by its timeout like any other loop.
TEST(PluginHostile, EndlessOutputEndsAtTheTimeout) {
  PluginHost host;
  PluginOptions o;
  CollectedLog log;
  o.log = log.sink();
  o.limits.timeout = std::chrono::seconds(1);
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  const auto start = std::chrono::steady_clock::now();
  auto e = expect_plugin_error([&] { p->call("flood_stdout_forever", json(nullptr)); });
  EXPECT_EQ(e.kind(), PluginError::Kind::Timeout) << e.what();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  std::lock_guard lock(*log.mu);
  EXPECT_LE(log.lines->size(), 1u);
}

// A plugin looping on denied http_request calls with a long URL: each
// reason quoted the URL and every one was kept, logged and joined into the
// error (20,000 calls with a 60 KB URL: 4.7 GB of host memory, 2.4 GB of
// log). Now the first few are kept with the URL cut, the rest counted.
TEST(PluginHostile, ManyDeniedRequestsKeepTheHostBounded) {
  PluginHost host;
  PluginOptions o;
  CollectedLog log;
  o.log = log.sink();
  o.limits.timeout = std::chrono::seconds(60);  // a call parses the 60 KB request: ~3 ms
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  const std::string url = "http://x/" + std::string(60000, 'a');
  auto e = expect_plugin_error([&] { p->call("http_many", json{{"times", 500}, {"url", url}}); });
  const std::string what = e.what();
  EXPECT_EQ(e.kind(), PluginError::Kind::Denied) << what.substr(0, 2000);
  EXPECT_LT(what.size(), 8u * 1024) << what.substr(0, 2000);
  EXPECT_NE(what.find("http_request GET http://x/aaaa"), std::string::npos) << what.substr(0, 2000);
  EXPECT_NE(what.find("... (60009 bytes) denied: the plugin has no network capability"), std::string::npos) << what.substr(0, 2000);
  EXPECT_NE(what.find("; and 492 more denied http_request calls"), std::string::npos) << what.substr(0, 2000);
  EXPECT_EQ(what.find(std::string(1000, 'a')), std::string::npos) << "the URL is cut";
  std::lock_guard lock(*log.mu);
  ASSERT_EQ(log.lines->size(), 9u);  // the first 8 denials, then "the rest are counted"
  size_t logged = 0;
  for (const auto& l : *log.lines) logged += l.size();
  EXPECT_LT(logged, 8u * 1024);
  EXPECT_NE(log.lines->at(8).find("the rest of this call's are counted, not logged"), std::string::npos) << log.lines->at(8);
}

// JSON input that is valid up to a NUL byte is not JSON: it is refused, not cut there.
TEST(PluginHostile, InputWithANulIsRefused) {
  PluginHost host;
  auto p = host.load_file(plugin_wasm("plugin_hostile"));
  const std::string input("{\"a\":1}\0not JSON", 16);
  auto e = expect_plugin_error([&] { p->call_json("execute", input); });
  EXPECT_EQ(e.kind(), PluginError::Kind::InvalidInput) << e.what();
  EXPECT_NE(std::string(e.what()).find("byte 7 is a NUL"), std::string::npos) << e.what();
  // The plugin_json fuzzer's input: a complete value, then NULs and text.
  const std::string fuzzed("\"\"\0\0\0ute00enermsp/nse_l0e9len0[[0\"", 34);
  e = expect_plugin_error([&] { p->call_json("execute", fuzzed); });
  EXPECT_EQ(e.kind(), PluginError::Kind::InvalidInput) << e.what();
  EXPECT_NE(std::string(e.what()).find("byte 2 is a NUL"), std::string::npos) << e.what();
}

// A request the ABI cannot carry out is answered as a bad request (status
// 3), never a trap: a method that is not a string, a header that would
// smuggle in another one.
TEST(PluginHostile, MalformedHttpRequestsAreBadRequests) {
  PluginHost host;
  auto p = host.load_file(plugin_wasm("plugin_hostile"));
  const std::pair<json, const char*> cases[] = {
      {json{{"url", "http://127.0.0.1:9/"}, {"method", 5}}, "\"method\" must be a string"},
      {json{{"url", "http://127.0.0.1:9/"}, {"headers", {{"X-A", "1\r\nX-Injected: 2"}}}}, "header 'X-A' holds a line break"},
  };
  for (const auto& [request, message] : cases) {
    auto e = expect_plugin_error([&] { p->call("http", request); });
    EXPECT_EQ(e.kind(), PluginError::Kind::Failed) << e.what();
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

// The module's name is the plugin author's: one that would forge log lines
// or send escape sequences to a terminal is not used.
TEST(PluginHostile, AMetadataNameThatIsNotAPlainNameIsNotUsed) {
  PluginHost host;
  CollectedLog log;
  PluginOptions o;
  o.log = log.sink();
  const json forging = {{"name", "x\n[plugin json_transform] ERROR forged line\x1b[2J"}, {"version", "1.0.0"}};
  auto p = host.load_bytes(module_with_metadata(forging.dump()), "from_file", o);
  EXPECT_EQ(p->name(), "from_file");
  EXPECT_EQ(p->metadata().name, "from_file");
  EXPECT_EQ(p->metadata().version, "1.0.0");
  ASSERT_EQ(log.lines->size(), 1u);
  const std::string& warning = log.lines->front();
  EXPECT_TRUE(warning.starts_with("from_file WARN the plugin's metadata name 'x\\n[plugin json_transform] ERROR forged "
                                  "line\\x1b[2J' (47 bytes) is not 1 to 64 letters")) << warning;
  EXPECT_NE(warning.find("using 'from_file'"), std::string::npos) << warning;
  auto e = expect_plugin_error([&] { p->call("execute", json(nullptr)); });
  EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find('\x1b'), std::string::npos) << e.what();
  EXPECT_NE(host.get("from_file"), nullptr);

  // Plain names, up to 64 characters, are kept.
  for (const std::string& name : {std::string("good-name_1.2"), std::string(64, 'n')}) {
    CollectedLog quiet;
    PluginOptions q;
    q.log = quiet.sink();
    auto good = PluginHost::compile(host.engine(), module_with_metadata(json{{"name", name}}.dump()), "fb", q);
    EXPECT_EQ(good->name(), name);
    EXPECT_TRUE(quiet.lines->empty());
  }
  for (const std::string& name : {std::string(65, 'n'), std::string("a b"), std::string("a/b"), std::string("na\xc3\xafve")}) {
    auto bad = PluginHost::compile(host.engine(), module_with_metadata(json{{"name", name}}.dump()), "fb", o);
    EXPECT_EQ(bad->name(), "fb") << name;
  }
}
