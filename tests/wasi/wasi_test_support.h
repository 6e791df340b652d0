// Helpers for the WASI tests: a scratch directory per test, file helpers.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "guest_runner.h"

#include "temp_dir.h"

namespace wasmlet::testing {

using ::wasmlet::testing::TempDir;

inline void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline WasiConfig with_dir(const std::filesystem::path& host, const std::string& guest, bool read_only = false,
                           std::vector<std::string> args = {}) {
  WasiConfig c;
  c.preopens.push_back({host, guest, read_only});
  c.args = std::move(args);
  return c;
}

}  // namespace wasmlet::testing
