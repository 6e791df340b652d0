// A module's hot functions compiled to native code: the C++ that
// hot_emitter.h writes, built by the system C++ compiler into a shared
// object and loaded. Its functions replace the interpreter's code for them
// (ModuleCode::use_native).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/decode/decoded_module.h"
#include "engine/hot/hot_abi.h"

namespace wasmlet::detail::hot {

struct BuildOptions {
  std::string compiler = "c++";
  std::string opt_level = "-O2";
  uint64_t memory_bytes = uint64_t{2} << 30;  // the compiler's address space
  uint64_t cpu_seconds = 600;
};

class HotLibrary {
 public:
  // Writes functions `wanted` (defined indices) of a validated module as
  // C++ into `directory`, compiles it to `directory`/hot.so and loads it.
  // Throws CompileError if the compiler fails. Functions it cannot compile
  // are left out (left_out() says why).
  static std::shared_ptr<const HotLibrary> build(const decode::Module& module, std::span<const uint8_t> bytes,
                                                 std::span<const uint32_t> wanted,
                                                 const std::filesystem::path& directory,
                                                 const BuildOptions& options = {});
  // Loads a library built before; throws CompileError if it is not one.
  static std::shared_ptr<const HotLibrary> load(const std::filesystem::path& shared_object, size_t defined_functions);
  ~HotLibrary();
  HotLibrary(const HotLibrary&) = delete;
  HotLibrary& operator=(const HotLibrary&) = delete;

  // The native code of defined function `defined_index`, or null.
  wasmlet_hot::Function function(uint32_t defined_index) const {
    return defined_index < functions_.size() ? functions_[defined_index] : nullptr;
  }
  size_t compiled_count() const { return compiled_; }
  // Whether the library was built for defined function `defined_index`
  // (compiled, or left out because the emitter cannot compile it).
  bool covers(uint32_t defined_index) const {
    return defined_index < covered_.size() && covered_[defined_index];
  }
  // Why functions were left out ("func[N]: why"): known to the build only.
  const std::vector<std::string>& left_out() const { return left_out_; }

 private:
  HotLibrary() = default;
  void* handle_ = nullptr;
  std::vector<wasmlet_hot::Function> functions_;
  std::vector<bool> covered_;
  size_t compiled_ = 0;
  std::vector<std::string> left_out_;
};

}  // namespace wasmlet::detail::hot
