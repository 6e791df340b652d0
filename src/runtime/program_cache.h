// The cache that compiles each image file once (a wasmlet::Program, module
// or component) for every workload that runs it.
#pragma once

#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "wasmlet/engine.h"
#include "wasmlet/program.h"

namespace wasmlet::runtime {

// Compiled programs shared by every instance, keyed by file, size and mtime.
class ModuleCache {
 public:
  explicit ModuleCache(Engine& engine) : engine_(engine) {}
  // The program in `file` (wasmlet's copy of the image), compiled once per
  // file and name. Errors and the module's name use `image`, the reference
  // or path the user gave, not the copy's path under the data dir.
  // Callers asking for a program being compiled wait for that compile
  // (200 replicas starting at once make one check process and one compile).
  Program get(const std::filesystem::path& file, const std::string& image);

 private:
  struct Compiled {
    std::string stamp;  // "size:mtime" of the file compiled
    std::shared_future<Program> program;
  };
  Program load(const std::filesystem::path& file, const std::string& image);

  Engine& engine_;
  std::mutex mu_;
  std::map<std::string, Compiled> programs_;  // by file and image; a failed compile is not kept
};

}  // namespace wasmlet::runtime
