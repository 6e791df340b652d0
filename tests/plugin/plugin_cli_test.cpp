// `wasmlet plugin inspect` and `wasmlet plugin call`.
#include <gtest/gtest.h>

#include <fstream>

#include "plugin_support.h"
#include "process.h"

using namespace wasmlet;
using namespace wasmlet::testing;
namespace fs = std::filesystem;

namespace {
ProcessResult wasmlet_cli(std::vector<std::string> args) {
  args.insert(args.begin(), WASMLET_BIN);
  return run_process(args);
}
}  // namespace

TEST(PluginCli, InspectShowsMetadataAndExports) {
  auto r = wasmlet_cli({"plugin", "inspect", plugin_wasm("json_transform").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("name:        json_transform\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("version:     1.2.0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("entry point: execute\n"), std::string::npos) << r.out;
  r = wasmlet_cli({"plugin", "inspect", "--json", plugin_wasm("plugin_hostile").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["name"], "hostile");
  EXPECT_EQ(j["version"], "0.9.1");
  EXPECT_TRUE(j["wasi"].get<bool>());
}

// A plugin's metadata and export names are its author's: no control
// character of them reaches the terminal; UTF-8 text shows as it is.
TEST(PluginCli, InspectEscapesControlCharactersOfThePlugin) {
  const nlohmann::json meta = {{"name", "tidy"},
                               {"version", "1.0\x1b[2J"},
                               {"description", "caf\xc3\xa9 \x1b]0;owned\x07 line\nforged \xc2\x9b" "31m"}};
  std::vector<uint8_t> wasm = module_with_metadata(meta.dump());
  const fs::path file = fs::temp_directory_path() / ("wasmlet-inspect-escapes-" + std::to_string(::getpid()) + ".wasm");
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(wasm.data()), std::streamsize(wasm.size()));
  auto r = wasmlet_cli({"plugin", "inspect", file.string()});
  fs::remove(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x07'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\xc2\x9b"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("version:     1.0\\x1b[2J\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("description: caf\xc3\xa9 \\x1b]0;owned\\x07 line\\nforged \\xc2\\x9b31m\n"), std::string::npos)
      << r.out;
}

// Without metadata the name is the file's, whose bytes need not be UTF-8:
// the JSON shows U+FFFD for them instead of failing.
TEST(PluginCli, InspectJsonOfAFileWhoseNameIsNotUtf8) {
  fs::path dir = fs::temp_directory_path() / ("wasmlet-plugin-cli-name-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path copy = dir / "bad\xffname.wasm";
  fs::copy_file(plugin_wasm("plugin_entry_main"), copy, fs::copy_options::overwrite_existing);
  auto r = wasmlet_cli({"plugin", "inspect", "--json", copy.string()});
  fs::remove_all(dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["name"], "bad\xef\xbf\xbdname");
}

TEST(PluginCli, CallWithInputConfigAndLimits) {
  auto r = wasmlet_cli({"plugin", "call", plugin_wasm("json_transform").string(), "execute", "--input", R"({"a":"x"})",
                        "--config", "case=upper", "--max-memory", "8Mi", "--timeout", "2s", "--fuel", "100000000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"transformed\":{\"a\":\"X\"},\"strings\":1}\n");
}

TEST(PluginCli, CallReadsAFileFromAnAllowedPathAndInputFromAFile) {
  fs::path dir = fs::temp_directory_path() / ("wasmlet-plugin-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "hello.txt") << "hi";
  std::ofstream(dir / "input.json") << R"({"path": "/data/hello.txt"})";
  auto r = wasmlet_cli({"plugin", "call", plugin_wasm("read_file").string(), "--input", "@" + (dir / "input.json").string(),
                        "--allow-path", dir.string() + "::/data:ro"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["content"], "hi");
  r = wasmlet_cli({"plugin", "call", plugin_wasm("read_file").string(), "--input", R"({"path": "/etc/hostname"})",
                   "--allow-path", dir.string() + "::/data:ro"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("plugin 'read_file' export 'execute': failed with status 1: cannot open /etc/hostname"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(PluginCli, ErrorsAreClearAndTheExitStatusIsNonZero) {
  auto r = wasmlet_cli({"plugin", "call", plugin_wasm("plugin_hostile").string(), "invalid_json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("plugin 'hostile' export 'invalid_json': output is not valid JSON"), std::string::npos) << r.err;
  r = wasmlet_cli({"plugin", "call", plugin_wasm("plugin_hostile").string(), "loop", "--timeout", "200ms"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("timed out after 200 ms"), std::string::npos) << r.err;
  r = wasmlet_cli({"plugin", "call", plugin_wasm("echo").string(), "--input", "{nope"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("input is not valid JSON"), std::string::npos) << r.err;
  r = wasmlet_cli({"plugin", "call", plugin_wasm("plugin_hostile").string(), "http", "--input", R"({"url":"http://127.0.0.1:9/"})"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("denied: the plugin has no network capability"), std::string::npos) << r.err;
}

TEST(PluginCli, TheAotTierGivesTheSameOutputAndStopsALoopingPlugin) {
  auto r = wasmlet_cli({"plugin", "call", plugin_wasm("json_transform").string(), "execute", "--input", R"({"a":"x"})",
                        "--config", "case=upper", "--tier", "aot"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"transformed\":{\"a\":\"X\"},\"strings\":1}\n");
  r = wasmlet_cli({"plugin", "call", plugin_wasm("plugin_hostile").string(), "loop", "--timeout", "200ms", "--tier", "aot"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("timed out after 200 ms"), std::string::npos) << r.err;
  r = wasmlet_cli({"plugin", "call", plugin_wasm("echo").string(), "--tier", "fast"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("invalid --tier 'fast': expected interp, aot or auto"), std::string::npos) << r.err;
}

TEST(PluginCli, OneErrorLinePerFailureAndGuestStderrLineByLine) {
  auto r = wasmlet_cli({"plugin", "call", plugin_wasm("plugin_hostile").string(), "fail"});
  EXPECT_EQ(r.exit_code, 1);
  size_t lines = 0, errors = 0;
  for (size_t at = 0; (at = r.err.find('\n', at)) != std::string::npos; ++at) ++lines;
  for (size_t at = 0; (at = r.err.find("wasmlet: error:", at)) != std::string::npos; ++at) ++errors;
  EXPECT_EQ(errors, 1u) << r.err;
  EXPECT_EQ(r.err.find("export 'fail'"), r.err.rfind("export 'fail'")) << "the export is named once: " << r.err;

  auto logged = wasmlet_cli({"plugin", "call", plugin_wasm("plugin_hostile").string(), "stderr_lines"});
  ASSERT_EQ(logged.exit_code, 0) << logged.err;
  EXPECT_EQ(logged.err,
            "[plugin hostile] WARN open /missing: No such file or directory\n"
            "[plugin hostile] WARN second line\n"
            "[plugin hostile] WARN third line without newline\n");
}

TEST(PluginCli, AllowHostTakesAPortAndTheDenialListsTheAllowedHosts) {
  auto call_http = [](const std::string& allow) {
    return wasmlet_cli({"plugin", "call", plugin_wasm("plugin_hostile").string(), "http", "--allow-host", allow, "--input",
                        R"({"url":"http://127.0.0.1:9/"})"});
  };
  auto other_port = call_http("127.0.0.1:8");
  EXPECT_EQ(other_port.exit_code, 1);
  EXPECT_NE(other_port.err.find("denied: host '127.0.0.1' is not in the plugin's allowed hosts (127.0.0.1:8)"), std::string::npos)
      << other_port.err;
  auto same_port = call_http("127.0.0.1:9");  // allowed: the connection itself is refused (nothing listens on port 9)
  EXPECT_EQ(same_port.err.find("denied"), std::string::npos) << same_port.err;
  auto any_port = call_http("127.0.0.1");
  EXPECT_EQ(any_port.err.find("denied"), std::string::npos) << any_port.err;
}

TEST(PluginCli, InputFromStdin) {
  auto r = run_process({WASMLET_BIN, "plugin", "call", plugin_wasm("echo").string(), "-i", "@-"}, std::chrono::seconds(30),
                       std::string(R"({"from":"stdin"})"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"from\":\"stdin\"}\n");
}

// 500 denied calls with a 60 KB URL: a few lines of stderr, not 30 MB.
TEST(PluginCli, ManyDenialsMakeABoundedError) {
  const std::string url = "http://x/" + std::string(60000, 'a');
  auto r = wasmlet_cli({"plugin", "call", plugin_wasm("plugin_hostile").string(), "http_many", "--timeout", "60s",
                        "--input", "{\"times\":500,\"url\":\"" + url + "\"}"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_LT(r.err.size(), 16u * 1024) << r.err.substr(0, 2000);
  EXPECT_NE(r.err.find("; and 492 more denied http_request calls"), std::string::npos) << r.err.substr(0, 2000);
}

TEST(PluginCli, ADenialIsOneErrorLineNamingTheExportOnce) {
  auto r = wasmlet_cli({"plugin", "call", plugin_wasm("plugin_hostile").string(), "http", "--input", R"({"url":"http://127.0.0.1:9/"})"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("wasmlet: error: plugin 'hostile' export 'http': http_request GET http://127.0.0.1:9/ denied: "
                       "the plugin has no network capability\n"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("export 'http': plugin"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("plugin reported"), std::string::npos) << "the plugin only repeated the denial: " << r.err;
}
