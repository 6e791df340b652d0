// JSON and bytes calls, metadata, the entry-point search, warm instances.
#include <gtest/gtest.h>

#include <mutex>

#include "plugin_support.h"

using namespace wasmlet;
using namespace wasmlet::testing;
using json = nlohmann::json;

TEST(PluginCall, JsonTransformerWithValidJson) {
  PluginHost host;
  auto p = host.load_file(plugin_wasm("json_transform"));
  EXPECT_EQ(p->name(), "json_transform");
  EXPECT_EQ(p->metadata().version, "1.2.0");
  EXPECT_TRUE(p->metadata().from_custom_section);
  json out = p->call("execute", json{{"greeting", "hello"}, {"n", 3}, {"list", {"a\nb", "x"}}});
  EXPECT_EQ(out["transformed"], (json{{"greeting", "HELLO"}, {"n", 3}, {"list", {"A\nB", "X"}}}));
  EXPECT_EQ(out["strings"], 3);
}

TEST(PluginCall, ConfigValueChangesTheTransform) {
  PluginHost host;
  PluginOptions o;
  o.capabilities.config["case"] = "lower";
  auto p = host.load_file(plugin_wasm("json_transform"), o);
  EXPECT_EQ(p->call("", json{{"k", "MiXeD"}})["transformed"]["k"], "mixed");
}

TEST(PluginCall, InvalidJsonInputIsRejectedBeforeTheCall) {
  PluginHost host;
  auto p = host.load_file(plugin_wasm("json_transform"));
  auto e = expect_plugin_error([&] { p->call_json("execute", "{\"a\": "); });
  EXPECT_EQ(e.kind(), PluginError::Kind::InvalidInput);
  EXPECT_NE(std::string(e.what()).find("plugin 'json_transform' export 'execute': input is not valid JSON"), std::string::npos) << e.what();
  e = expect_plugin_error([&] { p->call_json("execute", "\"caf\xC3\x28\""); });
  EXPECT_EQ(e.kind(), PluginError::Kind::InvalidInput);
  EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos);
  // The same plugin still works.
  EXPECT_EQ(p->call_json("execute", "{\"a\":\"b\"}"), "{\"transformed\":{\"a\":\"B\"},\"strings\":1}");
}

TEST(PluginCall, BytesInBytesOut) {
  PluginHost host;
  auto p = host.load_file(plugin_wasm("echo"));
  std::vector<uint8_t> in = {0, 1, 2, 0xff, 0xfe, '{'};
  EXPECT_EQ(p->call("execute", std::span<const uint8_t>(in)), in);
  std::vector<uint8_t> big(1 << 20, 'x');
  EXPECT_EQ(p->call("execute", std::span<const uint8_t>(big)).size(), big.size());
}

TEST(PluginCall, MetadataFallsBackToFileNameAndDefaultVersion) {
  PluginHost host;
  auto p = host.load_file(plugin_wasm("plugin_entry_run"));
  EXPECT_EQ(p->name(), "plugin_entry_run");
  EXPECT_EQ(p->metadata().version, "0.1.0");
  EXPECT_FALSE(p->metadata().from_custom_section);
}

TEST(PluginCall, EntryPointSearch) {
  PluginHost host;
  CallStats st;
  EXPECT_EQ(host.load_file(plugin_wasm("plugin_entry_run"))->call("", json(nullptr), &st), "run");
  EXPECT_EQ(st.export_name, "run");
  EXPECT_GT(st.wall.count(), 0) << "the call's wall time, measured when stats are asked for";
  EXPECT_EQ(host.load_file(plugin_wasm("plugin_entry_main"))->call("", json(nullptr)), "main");
  EXPECT_EQ(host.load_file(plugin_wasm("plugin_entry_start"))->call("", json(nullptr)), "_start");
  EXPECT_EQ(host.load_file(plugin_wasm("plugin_entry_both"))->call("", json(nullptr)), "execute");
  EXPECT_EQ(host.get("plugin_entry_both")->call("run", json(nullptr)), "run");
  EXPECT_EQ(Plugin::entry_points(), (std::vector<std::string>{"execute", "run", "_start", "main"}));

  auto none = host.load_file(plugin_wasm("plugin_entry_none"));
  auto e = expect_plugin_error([&] { none->call("", json(nullptr)); });
  EXPECT_EQ(e.kind(), PluginError::Kind::NotFound);
  EXPECT_STREQ(e.what(), "plugin 'plugin_entry_none': has no callable entry point; expected one of: execute, run, _start, main");
  e = expect_plugin_error([&] { none->call("transform", json(nullptr)); });
  EXPECT_EQ(e.kind(), PluginError::Kind::BadExport);
  EXPECT_NE(std::string(e.what()).find("(i32) -> (i32)"), std::string::npos) << e.what();
  e = expect_plugin_error([&] { none->call("nope", json(nullptr)); });
  EXPECT_EQ(e.kind(), PluginError::Kind::NotFound);
  EXPECT_NE(std::string(e.what()).find("no such export (exports: transform)"), std::string::npos) << e.what();
}

TEST(PluginCall, FreshInstancePerCallUnlessWarm) {
  PluginHost host;
  auto fresh = host.load_file(plugin_wasm("plugin_hostile"));
  EXPECT_EQ(fresh->call("counter", json(nullptr)), 1);
  EXPECT_EQ(fresh->call("counter", json(nullptr)), 1);
  PluginOptions o;
  o.keep_warm = true;
  o.name = "warm";
  auto warm = host.load_file(plugin_wasm("plugin_hostile"), o);
  EXPECT_TRUE(warm->warm());
  EXPECT_EQ(warm->call("counter", json(nullptr)), 1);
  EXPECT_EQ(warm->call("counter", json(nullptr)), 2);
  EXPECT_EQ(warm->call("counter", json(nullptr)), 3);
  // A trap discards the warm instance; the next call starts over.
  EXPECT_THROW(warm->call("trap", json(nullptr)), PluginError);
  EXPECT_EQ(warm->call("counter", json(nullptr)), 1);
  // So does an exit, even exit(0): the call succeeds, the next one starts over.
  EXPECT_EQ(warm->call("counter", json(nullptr)), 2);
  EXPECT_EQ(warm->call("exit_zero", json(nullptr)), "bye");
  EXPECT_EQ(warm->call("counter", json(nullptr)), 1);
}

TEST(PluginCall, PluginReportedFailureAndExitCode) {
  PluginHost host;
  auto p = host.load_file(plugin_wasm("plugin_hostile"));
  auto e = expect_plugin_error([&] { p->call("fail", json(nullptr)); });
  EXPECT_EQ(e.kind(), PluginError::Kind::Failed);
  EXPECT_STREQ(e.what(), "plugin 'hostile' export 'fail': failed with status 1: the input was not to my liking");
  e = expect_plugin_error([&] { p->call("exit_code", json(nullptr)); });
  EXPECT_EQ(e.kind(), PluginError::Kind::Exit);
  EXPECT_NE(std::string(e.what()).find("exited with code 3"), std::string::npos) << e.what();
}

TEST(PluginCall, LogsAndStdoutReachTheLogSink) {
  PluginHost host;
  CollectedLog log;
  PluginOptions o;
  o.log = log.sink();
  auto p = host.load_file(plugin_wasm("plugin_hostile"), o);
  EXPECT_EQ(p->call("log_and_echo", json{{"x", 1}}), (json{{"x", 1}}));
  ASSERT_EQ(log.lines->size(), 2u);
  EXPECT_EQ((*log.lines)[0], "hostile WARN hello from the plugin");
  EXPECT_EQ((*log.lines)[1], "hostile INFO printed to stdout");
}
