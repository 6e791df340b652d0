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

namespace {

// Finds each "binary"/"quote" keyword that opens a module held as strings:
// "(" "module" [$id] then the keyword, at any depth (wabt's error recovery
// may take any "(module" for a new command).
class ModuleStringScanner {
 public:
  ModuleStringScanner(std::string_view text, const std::string& filename)
      : text_(text), filename_(filename),
        lexer_(wabt::WastLexer::CreateBufferLexer(filename, text.data(), text.size(), &errors_)),
        token_(lexer_->GetToken()) {}

  // The next keyword, or nullopt at the end of the text or at a malformed token (then error() says where).
  std::optional<wabt::Token> next_keyword() {
    enum class Seen { Nothing, Lpar, Module } seen = Seen::Nothing;
    for (; token_.token_type() != wabt::TokenType::Eof; token_ = lexer_->GetToken()) {
      if (!check_bounds(token_)) return std::nullopt;
      const wabt::TokenType type = token_.token_type();
      if (seen == Seen::Module && (type == wabt::TokenType::Bin || type == wabt::TokenType::Quote)) {
        wabt::Token keyword = token_;
        token_ = lexer_->GetToken();
        return keyword;
      }
      if (type == wabt::TokenType::Lpar) seen = Seen::Lpar;
      else if (seen == Seen::Lpar && type == wabt::TokenType::Module) seen = Seen::Module;
      else if (!(seen == Seen::Module && type == wabt::TokenType::Var)) seen = Seen::Nothing;
    }
    return std::nullopt;
  }

  // The string tokens right after the keyword next_keyword() returned.
  std::vector<wabt::Token> strings() {
    std::vector<wabt::Token> out;
    for (; token_.token_type() == wabt::TokenType::Text && check_bounds(token_); token_ = lexer_->GetToken())
      out.push_back(token_);
    return out;
  }

  const std::optional<std::string>& error() const { return error_; }

  std::string where(const wabt::Token& token) const {
    return fmt::format("{}:{}:{}", filename_, token.loc.line, token.loc.first_column);
  }

 private:
  // wabt's lexer can make a token whose text runs outside the script (an
  // unterminated "(@" annotation); its parser would then read past the buffer.
  bool check_bounds(const wabt::Token& token) {
    if (error_) return false;
    const char* const end_of_text = text_.data() + text_.size();
    if (token.HasText() && (token.text().data() < text_.data() || token.text().data() > end_of_text ||
                            token.text().size() > static_cast<size_t>(end_of_text - token.text().data()))) {
      error_ = fmt::format("{}: cannot read the script here (a malformed token)", where(token));
      return false;
    }
    return true;
  }

  std::string_view text_;
  const std::string& filename_;
  wabt::Errors errors_;  // the parser reports the script's errors; these are a duplicate
  std::unique_ptr<wabt::WastLexer> lexer_;
  wabt::Token token_;
  std::optional<std::string> error_;
};

std::string_view spelling(const wabt::Token& keyword) {
  return keyword.token_type() == wabt::TokenType::Bin ? "binary" : "quote";
}

// The keyword's offset in `text`, from its line and column, or nullopt if
// the text there is not the keyword.
std::optional<size_t> keyword_offset(const wabt::Token& keyword, std::string_view text,
                                     const std::vector<size_t>& lines) {
  const size_t line = std::min(static_cast<size_t>(std::max(keyword.loc.line, 1)) - 1, lines.size() - 1);
  const size_t offset = lines[line] + static_cast<size_t>(std::max(keyword.loc.first_column, 1)) - 1;
  if (offset > text.size() || text.substr(offset, spelling(keyword).size()) != spelling(keyword)) return std::nullopt;
  return offset;
}

// Whether every module string left in `text` is exactly one placeholder, in
// order, one per source. The extraction finds keywords by line and column;
// where wabt's lexer counts lines differently from the text (an escaped raw
// newline inside a string is not counted), it could replace the wrong
// "quote", and wabt's parser would then meet a real one (found by fuzz_wast).
std::optional<std::string> check_only_placeholders(const ExtractedScript& extracted, const std::string& filename) {
  ModuleStringScanner scanner(extracted.text, filename);
  size_t expected = 0;
  while (auto keyword = scanner.next_keyword()) {
    const std::vector<wabt::Token> strings = scanner.strings();
    std::vector<uint8_t> bytes;
    if (strings.size() == 1) append_string_bytes(strings[0].text(), bytes);
    if (keyword->token_type() != wabt::TokenType::Bin || strings.size() != 1 || placeholder_index(bytes) != expected)
      return fmt::format("{}: cannot read the script here (a module string that cannot be taken out safely; "
                         "is a string above broken by an escaped newline?)",
                         scanner.where(*keyword));
    ++expected;
  }
  if (scanner.error()) return scanner.error();
  if (expected != extracted.sources.size())
    return fmt::format("{}: cannot read the script (a module string that cannot be taken out safely)", filename);
  return std::nullopt;
}

}  // namespace

ExtractedScript extract_module_sources(std::span<const uint8_t> script, const std::string& filename) {
  const std::string_view original(reinterpret_cast<const char*>(script.data()), script.size());
  const std::vector<size_t> lines = line_starts(original);
  ExtractedScript out;
  size_t copied = 0;  // of `original`, up to here already in out.text
  ModuleStringScanner scanner(original, filename);
  while (auto keyword = scanner.next_keyword()) {
    const bool is_binary = keyword->token_type() == wabt::TokenType::Bin;
    const std::optional<size_t> start = keyword_offset(*keyword, original, lines);
    if (!start || *start < copied) {
      out.error = fmt::format("{}: cannot read the script here (a string broken by a newline?)", scanner.where(*keyword));
      return out;
    }
    ModuleSource source{is_binary ? ModuleSource::Kind::Binary : ModuleSource::Kind::Quote, {}};
    size_t end = *start + spelling(*keyword).size();  // past the keyword, then past the last string
    for (const wabt::Token& string : scanner.strings()) {
      append_string_bytes(string.text(), source.bytes);
      end = std::max(end, static_cast<size_t>(string.text().data() + string.text().size() - original.data()));
    }
    out.text.append(original.substr(copied, *start - copied));
    out.text += "binary ";
    out.text += placeholder_string(out.sources.size());
    // Keep every later line where it was.
    out.text.append(static_cast<size_t>(std::count(original.begin() + static_cast<long>(*start),
                                                   original.begin() + static_cast<long>(end), '\n')),
                    '\n');
    copied = end;
    out.sources.push_back(std::move(source));
  }
  if (scanner.error()) {
    out.error = scanner.error();
    return out;
  }
  out.text.append(original.substr(copied));
  out.error = check_only_placeholders(out, filename);
  return out;
}

}  // namespace wasmlet::wast
