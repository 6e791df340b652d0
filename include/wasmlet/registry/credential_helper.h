// Docker credential helpers (`credHelpers` per registry, `credsStore` for the
// rest, in config.json): `docker-credential-NAME get` reads the server URL on
// stdin and prints {"ServerURL","Username","Secret"}; Username "<token>"
// means Secret is an identity token.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "wasmlet/registry/auth.h"

namespace wasmlet::registry {

// The helper config.json names for `registry` ("NAME", without the
// docker-credential- prefix): credHelpers (keys with or without scheme), else
// credsStore; nullopt when neither applies.
std::optional<std::string> credential_helper_for(const nlohmann::json& config, std::string_view registry);

// Runs `docker-credential-HELPER get` (found on PATH) with `server_url` on
// stdin. Returns nullopt when the helper has no credentials for it ("credentials
// not found"). Throws RegistryError naming the helper and registry when it
// isn't installed, fails, times out or prints something that isn't its JSON.
std::optional<Credentials> run_credential_helper(const std::string& helper, std::string_view server_url,
                                                 std::string_view registry,
                                                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace wasmlet::registry
