// Where the component fixtures are: C programs from tests/fixtures/wasi built
// to wasm32-wasi, then wrapped by jco (`jco new --wasi-command`) at build time
// when jco is installed (npm ci, see scripts/setup.sh).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

#include "temp_dir.h"

namespace component_test {

inline std::filesystem::path component_path(const std::string& name) {
  return std::filesystem::path(COMPONENT_DIR) / (name + ".component.wasm");
}

// The same program linked with tests/component/wasip2_glue (exit codes via
// wasi:cli/exit.exit-with-code, preview1 sockets via wasi:sockets).
inline std::filesystem::path wasip2_component_path(const std::string& name) {
  return std::filesystem::path(COMPONENT_DIR) / (name + ".wasip2.component.wasm");
}

inline std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

using ::wasmlet::testing::TempDir;

// Skips the test (with the reason) when jco was not available at build time.
#define REQUIRE_COMPONENT(var, name)                                                                   \
  auto var##_path = component_test::component_path(name);                                              \
  if (!std::filesystem::exists(var##_path))                                                            \
    GTEST_SKIP() << var##_path << " was not built: jco is missing (run `npm ci` at the repository root)"; \
  auto var = component_test::read_file(var##_path)

}  // namespace component_test
