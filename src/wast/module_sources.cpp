#include "wast/module_sources.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "wabt/wast-lexer.h"

namespace wasmlet::wast {
namespace {

constexpr std::string_view kPlaceholderName = "wasmlet-wast-module-";
constexpr uint8_t kHeader[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(uint32_t cp, std::vector<uint8_t>& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<uint8_t>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<uint8_t>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<uint8_t>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<uint8_t>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<uint8_t>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<uint8_t>(0xF0 | ((cp >> 18) & 0x07)));
    out.push_back(static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<uint8_t>(0x80 | (cp & 0x3F)));
  }
}

// The bytes a string token stands for (the text format's escapes: \n \t \r
// \\ \' \" \hh \u{h...}). The lexer reports malformed escapes itself, so
// what cannot be read here is skipped.
void append_string_bytes(std::string_view quoted, std::vector<uint8_t>& out) {
  if (quoted.size() < 2) return;
  const std::string_view s = quoted.substr(1, quoted.size() - 2);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(static_cast<uint8_t>(s[i]));
      continue;
    }
    const char c = s[++i];
    switch (c) {
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case '\\': case '\'': case '"': out.push_back(static_cast<uint8_t>(c)); break;
      case 'u': {
        const size_t close = s.find('}', i);
        if (close == std::string_view::npos || i + 1 >= s.size() || s[i + 1] != '{') break;
        uint32_t cp = 0;
        for (size_t k = i + 2; k < close && cp <= 0x10FFFF; ++k) cp = cp * 16 + static_cast<uint32_t>(std::max(hex_digit(s[k]), 0));
        append_utf8(std::min<uint32_t>(cp, 0x10FFFF), out);
        i = close;
        break;
      }
      default:
        if (i + 1 < s.size() && hex_digit(c) >= 0 && hex_digit(s[i + 1]) >= 0) {
          out.push_back(static_cast<uint8_t>(hex_digit(c) * 16 + hex_digit(s[i + 1])));
          ++i;
        }
    }
  }
}

// An empty module with one custom section "wasmlet-wast-module-N", as a
// string token of the text format.
std::string placeholder_string(size_t index) {
  const std::string name = fmt::format("{}{}", kPlaceholderName, index);
  std::vector<uint8_t> bytes(std::begin(kHeader), std::end(kHeader));
  bytes.push_back(0);                                     // custom section
  bytes.push_back(static_cast<uint8_t>(name.size() + 1));  // section size (< 128)
  bytes.push_back(static_cast<uint8_t>(name.size()));
  bytes.insert(bytes.end(), name.begin(), name.end());
  std::string text = "\"";
  for (uint8_t b : bytes) text += fmt::format("\\{:02x}", b);
  return text + "\"";
}

// Byte offsets of each line's start (the lexer counts lines at '\n').
std::vector<size_t> line_starts(std::string_view text) {
  std::vector<size_t> starts{0};
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts.push_back(i + 1);
  return starts;
}

}  // namespace

std::optional<size_t> placeholder_index(std::span<const uint8_t> bytes) {
  const size_t prefix = sizeof(kHeader) + 3;
  if (bytes.size() <= prefix + kPlaceholderName.size() || !std::equal(std::begin(kHeader), std::end(kHeader), bytes.begin()))
    return std::nullopt;
  if (bytes[8] != 0 || bytes[9] != bytes.size() - 10 || bytes[10] != bytes.size() - 11) return std::nullopt;
  const std::string_view name(reinterpret_cast<const char*>(bytes.data() + prefix), bytes.size() - prefix);
  if (name.substr(0, kPlaceholderName.size()) != kPlaceholderName) return std::nullopt;
  const std::string_view digits = name.substr(kPlaceholderName.size());
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return std::stoul(std::string(digits));
}

ExtractedScript extract_module_sources(std::span<const uint8_t> script, const std::string& filename) {
  const std::string_view original(reinterpret_cast<const char*>(script.data()), script.size());
  const std::vector<size_t> lines = line_starts(original);
  ExtractedScript out;
  size_t copied = 0;  // of `original`, up to here already in out.text
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer(filename, script.data(), script.size(), &errors);
  // "(" "module" [$id] then "binary" or "quote", at any depth: wabt's error
  // recovery may take any "(module" for a new command.
  enum class Seen { Nothing, Lpar, Module } seen = Seen::Nothing;
  wabt::Token token = lexer->GetToken();
  while (token.token_type() != wabt::TokenType::Eof) {
    const wabt::TokenType type = token.token_type();
    // wabt's lexer can make a token whose text runs outside the script (an
    // unterminated "(@" annotation); its parser would then read past the buffer.
    const char* const end_of_script = original.data() + original.size();
    if (token.HasText() && (token.text().data() < original.data() || token.text().data() > end_of_script ||
                            token.text().size() > static_cast<size_t>(end_of_script - token.text().data()))) {
      out.error = fmt::format("{}:{}:{}: cannot read the script here (a malformed token)", filename, token.loc.line,
                              token.loc.first_column);
      return out;
    }
    const bool is_binary = type == wabt::TokenType::Bin, is_quote = type == wabt::TokenType::Quote;
    if (seen != Seen::Module || !(is_binary || is_quote)) {
      if (type == wabt::TokenType::Lpar) seen = Seen::Lpar;
      else if (seen == Seen::Lpar && type == wabt::TokenType::Module) seen = Seen::Module;
      else if (!(seen == Seen::Module && type == wabt::TokenType::Var)) seen = Seen::Nothing;
      token = lexer->GetToken();
      continue;
    }
    // The keyword's offset, from its line and column.
    const size_t line = std::min(static_cast<size_t>(std::max(token.loc.line, 1)) - 1, lines.size() - 1);
    const size_t keyword = lines[line] + static_cast<size_t>(std::max(token.loc.first_column, 1)) - 1;
    const std::string_view spelling = is_binary ? "binary" : "quote";
    const size_t keyword_end = keyword + spelling.size();
    // A string broken by a raw newline makes the lexer's line count drift
    // from the text; such a script does not parse anyway, and it must not
    // reach wabt's parser with a module left in it.
    if (keyword < copied || keyword_end > original.size() || original.substr(keyword, spelling.size()) != spelling) {
      out.error = fmt::format("{}:{}:{}: cannot read the script here (a string broken by a newline?)", filename,
                              token.loc.line, token.loc.first_column);
      return out;
    }
    ModuleSource source{is_binary ? ModuleSource::Kind::Binary : ModuleSource::Kind::Quote, {}};
    size_t end = keyword_end;  // past the last string
    for (token = lexer->GetToken(); token.token_type() == wabt::TokenType::Text; token = lexer->GetToken()) {
      append_string_bytes(token.text(), source.bytes);
      end = static_cast<size_t>(token.text().data() + token.text().size() - original.data());
    }
    out.text.append(original.substr(copied, keyword - copied));
    out.text += "binary ";
    out.text += placeholder_string(out.sources.size());
    // Keep every later line where it was.
    out.text.append(static_cast<size_t>(std::count(original.begin() + static_cast<long>(keyword),
                                                   original.begin() + static_cast<long>(end), '\n')),
                    '\n');
    copied = end;
    out.sources.push_back(std::move(source));
    seen = Seen::Nothing;
  }
  out.text.append(original.substr(copied));
  return out;
}

}  // namespace wasmlet::wast
