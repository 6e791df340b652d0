// Reading WebAssembly spec scripts (.wast) with wabt's script parser. wabt
// only READS the script: every module a command holds is handed on as the
// bytes of a binary module (text modules are written as binary by wabt's
// binary writer), and wasmlet's Module::compile decodes and validates them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wast/module_sources.h"

namespace wabt {
struct Script;
struct Module;
class ScriptModule;
class WastLexer;
}  // namespace wabt

namespace wasmlet::wast {

// A parsed script, or the parser's errors ("file:line:col: message").
// Parsing never throws and never aborts on bad input (the fuzzer's entry point).
struct ParsedScript {
  ParsedScript();
  ParsedScript(ParsedScript&&) noexcept;
  ParsedScript& operator=(ParsedScript&&) noexcept;
  ~ParsedScript();

  std::unique_ptr<wabt::Script> script;  // null if parsing failed
  std::vector<std::string> errors;
  // What the script's locations point into; kept alive with it.
  std::shared_ptr<const std::string> filename;
  std::shared_ptr<const std::string> text;  // what wabt parsed: the script with placeholders
  std::unique_ptr<wabt::WastLexer> lexer;
  // The modules the script held as strings (module_sources.h).
  ModuleSources sources;
};

ParsedScript parse_script(std::span<const uint8_t> text, const std::string& filename);

// The binary form of a module a command holds, or why there is none: a
// quoted module (`module quote`) is parsed as text here, so a text that does
// not parse is an error with the parser's message.
struct ModuleBytes {
  std::vector<uint8_t> bytes;
  std::optional<std::string> error;  // the text did not parse or could not be written as binary
};
// `sources`: the parsed script's, which a placeholder module refers to.
ModuleBytes module_bytes(const wabt::ScriptModule& module, const ModuleSources& sources);
// A module the script parser already read (`(module ...)` in text), as binary.
ModuleBytes module_bytes(const wabt::Module& module);

// A text module (`(module ...)`) written as a binary module; nullopt and
// `error` set if it does not parse.
std::optional<std::vector<uint8_t>> text_to_binary(std::string_view wat, std::string& error);

}  // namespace wasmlet::wast
