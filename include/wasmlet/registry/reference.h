// Image references: the docker grammar [registry[:port]/]name[:tag][@digest]
// with docker.io defaults ("alpine" -> docker.io/library/alpine:latest).
#pragma once

#include <string>
#include <string_view>

#include "wasmlet/error.h"

namespace wasmlet::registry {

// A malformed reference; the message quotes the reference and points at the bad part.
class ReferenceError : public UsageError {
 public:
  using UsageError::UsageError;
};

struct Reference {
  std::string registry;    // "docker.io", "ghcr.io", "127.0.0.1:5000", "[::1]:5000"
  std::string repository;  // "library/alpine", "org/app"
  std::string tag;         // empty when only a digest was given
  std::string digest;      // "sha256:<64 hex>" or empty

  // Parses and normalizes; a reference without tag or digest gets "latest".
  static Reference parse(std::string_view text);

  // "registry/repository[:tag][@digest]", fully qualified.
  std::string str() const;
  // "registry/repository".
  std::string name() const;
  // What the manifests endpoint takes: the digest if present, else the tag.
  std::string tag_or_digest() const;
  // Host to talk to: docker.io's API lives on registry-1.docker.io.
  std::string api_host() const;
  // True for localhost, 127.0.0.1 and ::1 (any port).
  bool is_loopback() const;

  bool operator==(const Reference&) const = default;
};

// True for loopback registry hosts ("localhost:5000", "127.0.0.1", "[::1]:80").
bool is_loopback_registry(std::string_view registry);

}  // namespace wasmlet::registry
