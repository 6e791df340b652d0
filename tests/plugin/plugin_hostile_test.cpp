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
