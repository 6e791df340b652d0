// Docker reference grammar (distribution/reference) with docker.io defaults.
#include "wasmlet/registry/reference.h"

#include <fmt/format.h>

#include <cctype>

#include "wasmlet/registry/digest.h"

namespace wasmlet::registry {
namespace {

[[noreturn]] void bad(std::string_view text, std::size_t pos, std::size_t len, std::string_view why) {
  std::string marker(pos, ' ');
  marker.append(std::max<std::size_t>(len, 1), '^');
  throw ReferenceError(fmt::format("invalid image reference \"{}\": {}\n  {}\n  {}", text, why, text, marker));
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+
void check_component(std::string_view text, std::size_t offset, std::string_view comp) {
  if (comp.empty()) bad(text, offset, 1, "empty path component (double or trailing '/')");
  for (std::size_t i = 0; i < comp.size(); ++i) {
    char c = comp[i];
    if (std::isupper(static_cast<unsigned char>(c)))
      bad(text, offset + i, 1, fmt::format("repository name must be lowercase (\"{}\")", comp));
    if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-')
      bad(text, offset + i, 1, fmt::format("character '{}' is not allowed in a repository name", c));
  }
  if (!is_lower_alnum(comp.front()) || !is_lower_alnum(comp.back()))
    bad(text, offset, comp.size(),
        fmt::format("path component \"{}\" must start and end with a lowercase letter or digit", comp));
  for (std::size_t i = 0; i + 1 < comp.size(); ++i) {
    char a = comp[i], b = comp[i + 1];
    bool sep_a = a == '.' || a == '_', sep_b = b == '.' || b == '_' || b == '-';
    if (a == '.' && sep_b) bad(text, offset + i, 2, "separators '.' may not be followed by another separator");
    if (a == '_' && b == '_' && i + 2 < comp.size() && comp[i + 2] == '_')
      bad(text, offset + i, 3, "at most two '_' in a row");
    if (a == '_' && (b == '.' || b == '-')) bad(text, offset + i, 2, "'_' may not be followed by '.' or '-'");
    if (a == '-' && (b == '.' || b == '_')) bad(text, offset + i, 2, "'-' may not be followed by '.' or '_'");
    (void)sep_a;
  }
}

void check_registry(std::string_view text, std::string_view reg) {
  std::string_view host = reg, port;
  if (!reg.empty() && reg.front() == '[') {
    auto close = reg.find(']');
    if (close == std::string_view::npos) bad(text, 0, reg.size(), "unterminated IPv6 address in registry");
    host = reg.substr(0, close + 1);
    if (close + 1 < reg.size()) {
      if (reg[close + 1] != ':') bad(text, close + 1, 1, "expected ':' and a port after the IPv6 address");
      port = reg.substr(close + 2);
      if (port.empty()) bad(text, close + 1, 1, "empty port");
    }
  } else if (auto colon = reg.find(':'); colon != std::string_view::npos) {
    host = reg.substr(0, colon);
    port = reg.substr(colon + 1);
    if (port.empty()) bad(text, colon, 1, "empty port after ':' in registry");
  }
  if (host.empty()) bad(text, 0, 1, "empty registry host");
  if (host.front() != '[') {
    for (std::size_t i = 0; i < host.size(); ++i) {
      char c = host[i];
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-')
        bad(text, i, 1, fmt::format("character '{}' is not allowed in registry host \"{}\"", c, host));
    }
  }
  if (!port.empty()) {
    std::size_t start = reg.size() - port.size();
    unsigned long value = 0;
    for (std::size_t i = 0; i < port.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(port[i])))
        bad(text, start + i, port.size() - i, fmt::format("registry port \"{}\" is not a number", port));
      value = value * 10 + static_cast<unsigned long>(port[i] - '0');
      if (value > 65535) bad(text, start, port.size(), fmt::format("registry port {} is out of range (1-65535)", port));
    }
    if (value == 0) bad(text, start, port.size(), "registry port 0 is not valid");
  }
}

}  // namespace

bool is_loopback_registry(std::string_view registry) {
  std::string_view host = registry;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "127.0.0.1" || host == "::1";
}

Reference Reference::parse(std::string_view text) {
  if (text.empty()) throw ReferenceError("invalid image reference \"\": the reference is empty");
  if (text.size() > 4096) throw ReferenceError("invalid image reference: longer than 4096 characters");
  for (std::size_t i = 0; i < text.size(); ++i)
    if (std::isspace(static_cast<unsigned char>(text[i])) || static_cast<unsigned char>(text[i]) < 0x20)
      bad(text, i, 1, "white space or control characters are not allowed");

  Reference ref;
  std::string_view rest = text;
  std::size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    auto colon = digest.find(':');
    if (colon == std::string_view::npos) bad(text, at + 1, digest.size(), "digest must look like sha256:<64 hex digits>");
    std::string_view algo = digest.substr(0, colon), hex = digest.substr(colon + 1);
    if (algo != "sha256")
      bad(text, at + 1, algo.size(), fmt::format("unsupported digest algorithm \"{}\" (only sha256)", algo));
    if (hex.size() != 64) bad(text, at + 2 + colon, hex.size(), fmt::format("sha256 digest must have 64 hex digits, not {}", hex.size()));
    for (std::size_t i = 0; i < hex.size(); ++i)
      if (!std::isxdigit(static_cast<unsigned char>(hex[i])) || std::isupper(static_cast<unsigned char>(hex[i])))
        bad(text, at + 2 + colon + i, 1, "digest must be lowercase hex");
    ref.digest = std::string(digest);
    rest = rest.substr(0, at);
  }
  if (rest.empty()) bad(text, 0, 1, "missing repository name before '@'");

  // Tag: after the last ':' that follows the last '/'.
  std::size_t last_slash = rest.rfind('/');
  std::size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (tag.empty()) bad(text, colon, 1, "empty tag after ':'");
    if (tag.size() > 128) bad(text, colon + 1, tag.size(), "tag longer than 128 characters");
    for (std::size_t i = 0; i < tag.size(); ++i) {
      char c = tag[i];
      bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (i > 0 && (c == '.' || c == '-'));
      if (!ok) bad(text, colon + 1 + i, 1, fmt::format("character '{}' is not allowed in tag \"{}\" ([A-Za-z0-9_][A-Za-z0-9_.-]*)", c, tag));
    }
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }

  // Registry: the first component if it has '.', ':' or is localhost (or is [ipv6]).
  std::size_t first_slash = rest.find('/');
  std::size_t name_offset = 0;
  if (first_slash != std::string_view::npos) {
    std::string_view first = rest.substr(0, first_slash);
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost" || (!first.empty() && first.front() == '[')) {
      check_registry(text, first);
      ref.registry = std::string(first);
      rest = rest.substr(first_slash + 1);
      name_offset = first_slash + 1;
    }
  }
  if (ref.registry.empty()) {
    ref.registry = "docker.io";
  } else if (ref.registry == "index.docker.io" || ref.registry == "registry-1.docker.io") {
    ref.registry = "docker.io";
  }
  // A ':' left in the name means a port without a registry or a misplaced tag.
  if (rest.empty()) bad(text, name_offset, 1, "missing repository name");
  std::size_t pos = 0;
  while (true) {
    std::size_t slash = rest.find('/', pos);
    std::string_view comp = rest.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (comp.find(':') != std::string_view::npos)
      bad(text, name_offset + pos + comp.find(':'), 1, "':' is only allowed before a port in the registry or before the tag");
    check_component(text, name_offset + pos, comp);
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  ref.repository = std::string(rest);
  if (ref.registry == "docker.io" && ref.repository.find('/') == std::string::npos)
    ref.repository = "library/" + ref.repository;
  if (ref.registry.size() + 1 + ref.repository.size() > 255)
    bad(text, 0, text.size(), "repository name longer than 255 characters");
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

std::string Reference::name() const { return registry + "/" + repository; }

std::string Reference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::tag_or_digest() const { return digest.empty() ? tag : digest; }

std::string Reference::api_host() const { return registry == "docker.io" ? "registry-1.docker.io" : registry; }

bool Reference::is_loopback() const { return is_loopback_registry(registry); }

}  // namespace wasmlet::registry
