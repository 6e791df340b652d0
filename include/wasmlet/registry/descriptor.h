// OCI content descriptors (mediaType, digest, size, annotations, platform).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace wasmlet::registry {

struct Descriptor {
  std::string media_type;
  std::string digest;
  std::uint64_t size = 0;
  std::map<std::string, std::string> annotations;
  nlohmann::json platform;  // null unless the descriptor sits in an index

  nlohmann::json to_json() const;
  // Throws RegistryError naming `where` when fields are missing or malformed.
  static Descriptor from_json(const nlohmann::json& j, const std::string& where);
};

}  // namespace wasmlet::registry
