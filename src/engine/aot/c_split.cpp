#include "engine/aot/c_split.h"

#include <cstdlib>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet::detail::aot {

namespace {

constexpr std::string_view kGuestDefinition = "WASMLET_GUEST static ";
constexpr std::string_view kModuleState = "static bool s_module_initialized";

[[noreturn]] void unexpected(std::string_view what) {
  throw CompileError(fmt::format("AOT: unexpected output from wabt's C writer ({}); cannot split it", what));
}

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The identifier starting at `at` in `text`.
std::string_view identifier_at(std::string_view text, size_t at) {
  size_t end = at;
  while (end < text.size() && is_identifier_char(text[end])) ++end;
  return text.substr(at, end - at);
}

// One guest function definition: [begin, end) of the C, ending after its "}\n".
struct Definition {
  size_t begin, end;
};

// The module-level declarations the guest functions may use, as the other
// units declare them: the function prototypes, the function type table, and
// the data and element segments (memory.init, table.init).
struct SharedDeclarations {
  std::unordered_map<std::string_view, std::string> by_name;  // name -> "extern ...;\n" or the prototype
  std::string always;                                    // func_types
};

// Rewrites the module-level part `head` so its shared symbols are not
// static (hidden all the same: artifacts are compiled -fvisibility=hidden),
// and collects how other units declare them.
std::string share_declarations(std::string_view head, SharedDeclarations& shared) {
  std::string out;
  out.reserve(head.size());
  size_t pos = 0;
  while (pos < head.size()) {
    size_t end = head.find('\n', pos);
    end = end == std::string_view::npos ? head.size() : end + 1;
    std::string_view line = head.substr(pos, end - pos);
    if (line.starts_with("static u32 func_types[")) {
      out.append(line.substr(7));
      shared.always += fmt::format("extern {}", line.substr(7));
    } else if (line.starts_with("static const u8 data_segment_data_") ||
               line.starts_with("static const wasm_elem_segment_expr_t elem_segment_exprs_")) {
      out.append(line.substr(7));
      const size_t name_at = line.find(' ', 13) + 1;
      const std::string_view type = line.substr(7, name_at - 7);
      const std::string_view name = identifier_at(line, name_at);
      shared.by_name[name] = fmt::format("extern {}{}[];\n", type, name);
    } else if (line.starts_with("static ") && line.find("(Z_m_instance_t*") != std::string_view::npos &&
               line.find('{') == std::string_view::npos) {
      // A prototype "static T w2c_NAME(Z_m_instance_t*, ...);", maybe wrapped onto more lines.
      while (!line.ends_with(";\n") && end < head.size()) {
        end = head.find('\n', end);
        end = end == std::string_view::npos ? head.size() : end + 1;
        line = head.substr(pos, end - pos);
      }
      const std::string_view prototype = line.substr(7);
      out.append(prototype);
      const size_t open = prototype.find('(');
      size_t name_at = prototype.rfind(' ', open);
      if (name_at == std::string_view::npos) unexpected("a prototype without a return type");
      shared.by_name[identifier_at(prototype, name_at + 1)] = std::string(prototype);
    } else {
      out.append(line);
    }
    pos = end;
  }
  return out;
}

// The declarations `body` uses, in a stable order.
std::string declarations_for(std::string_view body, const SharedDeclarations& shared) {
  std::string out = shared.always;
  std::unordered_set<std::string_view> seen;
  std::vector<std::string_view> used;
  for (size_t at = 0; (at = body.find("w2c_", at)) != std::string_view::npos;) {
    size_t start = at;
    while (start > 0 && is_identifier_char(body[start - 1])) --start;
    const std::string_view name = identifier_at(body, start);
    at = start + name.size();
    if (shared.by_name.count(name) && seen.insert(name).second) used.push_back(name);
  }
  for (std::string_view name : used) out += shared.by_name.at(name);
  return out;
}

size_t size_from_environment(const char* variable, size_t fallback) {
  if (const char* text = std::getenv(variable); text && *text) {
    char* end = nullptr;
    const unsigned long long value = std::strtoull(text, &end, 10);
    if (*end == '\0' && value > 0) return static_cast<size_t>(value);
  }
  return fallback;
}

}  // namespace

SplitOptions split_options() {
  return SplitOptions{size_from_environment("WASMLET_AOT_UNIT_BYTES", size_t{4} << 20),
                      size_from_environment("WASMLET_AOT_HUGE_FUNCTION_BYTES", size_t{2} << 20)};
}

std::vector<TranslationUnit> split_module_c(const std::string& c, const SplitOptions& options) {
  if (c.size() <= options.unit_bytes) return {TranslationUnit{c}};
  const size_t head_begin = c.find(kModuleState);
  if (head_begin == std::string::npos) unexpected("no module state");
  // The guest functions' definitions (mark_guest_functions put them in
  // wasmlet_guest; wasm2c ends each with "}" in the first column).
  std::vector<Definition> definitions;
  for (size_t at = c.find(kGuestDefinition, head_begin); at != std::string::npos;
       at = c.find(kGuestDefinition, at)) {
    if (c[at - 1] != '\n') {
      ++at;
      continue;
    }
    const size_t close = c.find("\n}\n", at);
    if (close == std::string::npos) unexpected("a function without its end");
    // Guest functions only (w2c_NAME); the module's static set-up
    // functions stay with the code that calls them.
    const size_t open = c.find("(Z_m_instance_t* instance", at);
    const size_t name = open == std::string::npos ? open : c.rfind(' ', open);
    if (name != std::string::npos && name < close && c.compare(name + 1, 4, "w2c_") == 0)
      definitions.push_back({at, close + 3});
    at = close + 3;
  }
  if (definitions.empty()) return {TranslationUnit{c}};
  const std::string_view text(c);
  const std::string_view prelude = text.substr(0, head_begin);

  SharedDeclarations shared;
  TranslationUnit first;
  first.text.reserve(c.size() / 8);
  first.text.append(prelude);
  first.text += share_declarations(text.substr(head_begin, definitions.front().begin - head_begin), shared);

  std::vector<TranslationUnit> units;
  std::string body;
  bool huge = false;
  auto close_unit = [&] {
    if (body.empty()) return;
    TranslationUnit unit;
    unit.text.reserve(prelude.size() + body.size() + 4096);
    unit.text.append(prelude);
    unit.text += declarations_for(body, shared);
    unit.text += body;
    unit.max_opt_level = huge ? 1 : 3;
    units.push_back(std::move(unit));
    body.clear();
    huge = false;
  };
  size_t copied_to = definitions.front().begin;
  for (const Definition& d : definitions) {
    first.text.append(text.substr(copied_to, d.begin - copied_to));  // what lies between (nothing, usually)
    copied_to = d.end;
    const std::string_view definition = text.substr(d.begin + kGuestDefinition.size(), d.end - d.begin - kGuestDefinition.size());
    const bool is_huge = definition.size() > options.huge_function_bytes;
    if (is_huge || body.size() + definition.size() > options.unit_bytes) close_unit();
    body += "WASMLET_GUEST ";
    body.append(definition);
    huge = is_huge;
    if (is_huge) close_unit();
  }
  close_unit();
  first.text.append(text.substr(copied_to));
  units.insert(units.begin(), std::move(first));
  return units;
}

}  // namespace wasmlet::detail::aot
