// docs/kubernetes.md's containerd configuration loads: `containerd config
// dump` with the TOML block from the doc shows the wasmlet runtime.
#include <gtest/gtest.h>

#include "oci_test_support.h"

namespace wasmlet::testing {
namespace {

// The first ```toml block after `heading` in the doc.
std::string toml_block_after(const std::string& doc, const std::string& heading) {
  auto at = doc.find(heading);
  if (at == std::string::npos) return "";
  auto begin = doc.find("```toml\n", at);
  if (begin == std::string::npos) return "";
  begin += 8;
  return doc.substr(begin, doc.find("```", begin) - begin);
}

TEST(KubernetesConfig, ContainerdLoadsTheDocumentedRuntime) {
  if (find_tool("containerd").empty()) GTEST_SKIP() << "containerd is not installed (Debian: apt-get install containerd)";
  std::string toml = toml_block_after(read_text(std::string(SOURCE_DIR) + "/docs/kubernetes.md"), "## containerd");
  ASSERT_NE(toml.find("BinaryName"), std::string::npos) << "docs/kubernetes.md lost its containerd block";
  TempDir dir;
  // Top-level keys first: after the block they would belong to its last table.
  auto config = dir.write("config.toml", "root = \"" + (dir / "root").string() + "\"\nstate = \"" +
                                            (dir / "state").string() + "\"\n" + toml);
  auto r = run_process({find_tool("containerd"), "--config", config.string(), "config", "dump"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto section = r.out.find("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmlet]");
  ASSERT_NE(section, std::string::npos) << r.out;
  std::string runtime = r.out.substr(section, r.out.find("\n\n", section) - section);
  auto options = r.out.find("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmlet.options]");
  ASSERT_NE(options, std::string::npos) << r.out;
  std::string options_text = r.out.substr(options, r.out.find("\n\n", options) - options);
  EXPECT_NE(runtime.find("runtime_type = \"io.containerd.runc.v2\""), std::string::npos) << runtime;
  EXPECT_NE(runtime.find("container_annotations = [\"module.wasm.image/*\"]"), std::string::npos) << runtime;
  EXPECT_NE(options_text.find("BinaryName = \"/usr/local/bin/wasmlet-oci\""), std::string::npos) << options_text;
  EXPECT_NE(options_text.find("SystemdCgroup = false"), std::string::npos) << options_text;
}

}  // namespace
}  // namespace wasmlet::testing
