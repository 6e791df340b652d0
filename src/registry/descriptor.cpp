// OCI descriptors to and from JSON.
#include "wasmlet/registry/descriptor.h"

#include <fmt/format.h>

#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/registry_error.h"

namespace wasmlet::registry {

nlohmann::json Descriptor::to_json() const {
  nlohmann::json j = {{"mediaType", media_type}, {"digest", digest}, {"size", size}};
  if (!annotations.empty()) j["annotations"] = annotations;
  if (!platform.is_null()) j["platform"] = platform;
  return j;
}

Descriptor Descriptor::from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw RegistryError(fmt::format("{}: a descriptor is not a JSON object", where));
  Descriptor d;
  try {
    d.media_type = j.value("mediaType", std::string{});
    d.digest = j.at("digest").get<std::string>();
    d.size = j.at("size").get<std::uint64_t>();
    if (j.contains("annotations") && j["annotations"].is_object())
      for (auto& [k, v] : j["annotations"].items())
        if (v.is_string()) d.annotations[k] = v.get<std::string>();
    if (j.contains("platform")) d.platform = j["platform"];
  } catch (const nlohmann::json::exception& e) {
    throw RegistryError(fmt::format("{}: malformed descriptor {}: {}", where, j.dump(), e.what()));
  }
  try {
    validate_digest(d.digest);
  } catch (const std::exception& e) {
    throw RegistryError(fmt::format("{}: {}", where, e.what()));
  }
  return d;
}

}  // namespace wasmlet::registry
