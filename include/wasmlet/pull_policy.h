// When an image is fetched from its registry: the one pull policy of the
// CLI (--pull, pull --policy), specs (image.pull_policy), the daemon's API
// and the registry client.
#pragma once

#include <string_view>

namespace wasmlet {

enum class PullPolicy { Always, IfNotPresent, Never };

// Any case, '-' and '_' ignored: "always", "if_not_present" ("IfNotPresent",
// "missing"), "never". Throws UsageError naming the text otherwise.
PullPolicy parse_pull_policy(std::string_view text);
// "always", "if_not_present", "never" (what a spec file says).
const char* to_string(PullPolicy policy);

}  // namespace wasmlet
