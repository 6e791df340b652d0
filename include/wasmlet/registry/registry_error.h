// Errors from talking to a registry or reading the local image store. Every
// message names the registry, repository, reference, blob or file concerned.
#pragma once

#include "wasmlet/error.h"

namespace wasmlet::registry {

// A registry that failed or could not be reached, a store that cannot be
// read or written (ErrorCode::Unavailable unless a subclass says otherwise).
class RegistryError : public Error {
 public:
  explicit RegistryError(const std::string& message, ErrorCode code = ErrorCode::Unavailable) : Error(message, code) {}
};

// 401/403: missing or rejected credentials.
class AuthError : public RegistryError {
 public:
  explicit AuthError(const std::string& message) : RegistryError(message, ErrorCode::PermissionDenied) {}
};

// 404 or an image absent from the local store.
class NotFoundError : public RegistryError {
 public:
  explicit NotFoundError(const std::string& message) : RegistryError(message, ErrorCode::NotFound) {}
};

// Removing an image that instances use (without force); names them.
class ImageInUseError : public RegistryError {
 public:
  explicit ImageInUseError(const std::string& message) : RegistryError(message, ErrorCode::Conflict) {}
};

// Content whose sha256 is not the digest it was asked for.
class DigestMismatchError : public RegistryError {
 public:
  explicit DigestMismatchError(const std::string& message) : RegistryError(message, ErrorCode::Io) {}
};

}  // namespace wasmlet::registry
