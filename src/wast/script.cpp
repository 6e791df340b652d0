#include "wast/script.h"


#include <fmt/format.h>

#include "wabt/binary-writer.h"
#include "wabt/cast.h"
#include "wabt/error-formatter.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace wasmlet::wast {

ParsedScript::ParsedScript() = default;
ParsedScript::ParsedScript(ParsedScript&&) noexcept = default;
ParsedScript& ParsedScript::operator=(ParsedScript&&) noexcept = default;
ParsedScript::~ParsedScript() = default;

namespace {

// The proposals the suite at /work/shared covers on top of wabt's defaults
// (SIMD, reference types, bulk memory, multi-value...).
wabt::Features script_features() {
  wabt::Features features;
  features.enable_tail_call();
  features.enable_extended_const();
  features.enable_multi_memory();
  return features;
}

std::vector<std::string> error_lines(const wabt::Errors& errors) {
  std::vector<std::string> lines;
  for (const auto& e : errors) {
    if (e.loc.filename.empty()) lines.push_back(e.message);
    else lines.push_back(fmt::format("{}:{}:{}: {}", e.loc.filename, e.loc.line, e.loc.first_column, e.message));
  }
  return lines;
}

ModuleBytes write_binary(const wabt::Module& module) {
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions options;
  options.features = script_features();
  options.write_debug_names = true;  // traps then name the script's functions
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, &module, options)))
    return {{}, "the text module cannot be written as a binary module"};
  return {std::move(stream.output_buffer().data), std::nullopt};
}

}  // namespace

ParsedScript parse_script(std::span<const uint8_t> text, const std::string& filename) {
  ParsedScript parsed;
  parsed.filename = std::make_shared<const std::string>(filename);
  wabt::Errors errors;
  ExtractedScript extracted = extract_module_sources(text, filename);
  if (extracted.error) {
    parsed.text = std::make_shared<const std::string>(reinterpret_cast<const char*>(text.data()), text.size());
    parsed.errors.push_back(std::move(*extracted.error));
    return parsed;
  }
  parsed.text = std::make_shared<const std::string>(std::move(extracted.text));
  parsed.sources = std::move(extracted.sources);
  parsed.lexer = wabt::WastLexer::CreateBufferLexer(*parsed.filename, parsed.text->data(), parsed.text->size(), &errors);
  wabt::Features features = script_features();
  wabt::WastParseOptions options(features);
  std::unique_ptr<wabt::Script> script;
  if (wabt::Failed(wabt::ParseWastScript(parsed.lexer.get(), &script, &errors, &options))) {
    parsed.errors = error_lines(errors);
    if (parsed.errors.empty()) parsed.errors.push_back(filename + ": the script does not parse");
    return parsed;
  }
  parsed.script = std::move(script);
  return parsed;
}

std::optional<std::vector<uint8_t>> text_to_binary(std::string_view wat, std::string& error) {
  // Text with no tokens (blank, or only comments) is the empty module; wabt's
  // module parser wants at least one field. The probe's errors are its own:
  // an error's location points into the lexer that made it (found by fuzz_wast).
  {
    wabt::Errors probe_errors;
    if (wabt::WastLexer::CreateBufferLexer("<quote>", wat.data(), wat.size(), &probe_errors)->GetToken().token_type() ==
        wabt::TokenType::Eof)
      return std::vector<uint8_t>{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  }
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("<quote>", wat.data(), wat.size(), &errors);
  wabt::Features features = script_features();
  wabt::WastParseOptions options(features);
  std::unique_ptr<wabt::Module> module;
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &options))) {
    auto lines = error_lines(errors);
    error = lines.empty() ? "the module text does not parse" : lines.front();
    return std::nullopt;
  }
  auto written = write_binary(*module);
  if (written.error) {
    error = *written.error;
    return std::nullopt;
  }
  return std::move(written.bytes);
}

ModuleBytes module_bytes(const wabt::Module& module) { return write_binary(module); }

ModuleBytes module_bytes(const wabt::ScriptModule& module, const ModuleSources& sources) {
  switch (module.type()) {
    case wabt::ScriptModuleType::Text:
      return write_binary(wabt::cast<wabt::TextScriptModule>(&module)->module);
    case wabt::ScriptModuleType::Binary: {
      const auto& data = wabt::cast<wabt::BinaryScriptModule>(&module)->data;
      const auto index = placeholder_index(data);
      if (!index || *index >= sources.size()) return {data, std::nullopt};
      const ModuleSource& source = sources[*index];
      if (source.kind == ModuleSource::Kind::Binary) return {source.bytes, std::nullopt};
      std::string error;
      auto bytes = text_to_binary(std::string_view(reinterpret_cast<const char*>(source.bytes.data()), source.bytes.size()), error);
      if (!bytes) return {{}, std::move(error)};
      return {std::move(*bytes), std::nullopt};
    }
    case wabt::ScriptModuleType::Quoted:  // every quoted module became a placeholder
      return {{}, "a quoted module that was not taken out of the script"};
  }
  return {{}, "unknown kind of module"};
}

}  // namespace wasmlet::wast
