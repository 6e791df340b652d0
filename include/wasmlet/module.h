// A validated, compiled WebAssembly module. Compile once, instantiate many
// times (each instance in its own Store). Immutable and thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wasmlet/value.h"

namespace wasmlet {

class Engine;
namespace detail {
struct ModuleImpl;
struct Access;
}

enum class ExternKind { Func, Table, Memory, Global, Tag };
const char* to_string(ExternKind kind);

struct ImportInfo {
  std::string module;
  std::string name;
  ExternKind kind;
  FuncType type;  // for functions
};

struct ExportInfo {
  std::string name;
  ExternKind kind;
  FuncType type;  // for functions
};

class Module {
 public:
  // Decodes and fully validates `wasm`; throws CompileError with the byte
  // offset and what was wrong. `name` is used in every message about it.
  static Module compile(Engine& engine, std::span<const uint8_t> wasm, std::string name = "module");
  // Reads a file and compiles it; the file name becomes the module name.
  static Module from_file(Engine& engine, const std::filesystem::path& path);

  const std::string& name() const;
  const std::vector<ImportInfo>& imports() const;
  const std::vector<ExportInfo>& exports() const;
  const ExportInfo* find_export(std::string_view name) const;
  // Contents of the first custom section with this name, if any.
  std::optional<std::vector<uint8_t>> custom_section(std::string_view name) const;

 private:
  friend struct detail::Access;
  explicit Module(std::shared_ptr<const detail::ModuleImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const detail::ModuleImpl> impl_;
};

}  // namespace wasmlet
