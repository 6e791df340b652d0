// OCI descriptors to and from JSON.
#include "wasmlet/registry/descriptor.h"

#include <fmt/format.h>

#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/registry_error.h"
#include "json_member.h"

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
    d.media_type = string_member(j, "mediaType");
    d.digest = j.at("digest").get<std::string>();
    // An integer >= 0 (OCI image-spec): nlohmann would convert a negative
    // number or a float past 2^64 (undefined behaviour) without complaint.
    const nlohmann::json& size = j.at("size");
    if (!size.is_number_integer() || (!size.is_number_unsigned() && size.get<std::int64_t>() < 0))
      throw RegistryError(fmt::format("{}: malformed descriptor {}: size {} is not a non-negative integer", where,
                                      j.dump(), size.dump()));
    d.size = size.get<std::uint64_t>();
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
