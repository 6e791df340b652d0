#include "wasmlet/pull_policy.h"

#include <fmt/format.h>

#include <cctype>
#include <string>

#include "wasmlet/error.h"

namespace wasmlet {

PullPolicy parse_pull_policy(std::string_view text) {
  std::string s;
  for (char c : text)
    if (c != '-' && c != '_') s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "always") return PullPolicy::Always;
  if (s == "ifnotpresent" || s == "missing") return PullPolicy::IfNotPresent;
  if (s == "never") return PullPolicy::Never;
  throw UsageError(fmt::format("unknown pull policy \"{}\" (expected always, if_not_present or never)", text));
}

const char* to_string(PullPolicy policy) {
  switch (policy) {
    case PullPolicy::Always: return "always";
    case PullPolicy::IfNotPresent: return "if_not_present";
    case PullPolicy::Never: return "never";
  }
  return "if_not_present";
}

}  // namespace wasmlet
