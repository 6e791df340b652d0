// Modules a script holds as strings (`(module binary "...")`,
// `(module quote "...")`) are taken out of the script before wabt's script
// parser sees it. wabt 1.0.32's parser aborts the process on both: a
// top-level quoted module reaches an assertion in its error path, and a
// top-level binary module goes to wabt's binary reader, which asserts on
// corrupt bytes (issue 12, defect 2). Found by the `wast` fuzzer.
//
// Each such module becomes a placeholder: an empty binary module whose only
// custom section names the module's index in ModuleSources. module_bytes()
// turns a placeholder back into the module's own bytes or text.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace wasmlet::wast {

struct ModuleSource {
  enum class Kind { Binary, Quote } kind;
  std::vector<uint8_t> bytes;  // the strings' bytes, escapes resolved: a binary module or module text
};
using ModuleSources = std::vector<ModuleSource>;

struct ExtractedScript {
  std::string text;  // the script with placeholders, same line numbers as the original
  ModuleSources sources;
  std::optional<std::string> error;  // "file:line:col: ..." when the script cannot be taken apart safely
};

ExtractedScript extract_module_sources(std::span<const uint8_t> script, const std::string& filename);

// The index a placeholder stands for, or nullopt if `bytes` are not a placeholder.
std::optional<size_t> placeholder_index(std::span<const uint8_t> bytes);

}  // namespace wasmlet::wast
