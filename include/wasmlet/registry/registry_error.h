// Errors from talking to a registry or reading the local image store. Every
// message names the registry, repository, reference, blob or file concerned.
#pragma once

#include "wasmlet/error.h"

namespace wasmlet::registry {

class RegistryError : public Error {
 public:
  using Error::Error;
};

// 401/403: missing or rejected credentials.
class AuthError : public RegistryError {
 public:
  using RegistryError::RegistryError;
};

// 404 or an image absent from the local store.
class NotFoundError : public RegistryError {
 public:
  using RegistryError::RegistryError;
};

// Removing an image that instances use (without force); names them.
class ImageInUseError : public RegistryError {
 public:
  using RegistryError::RegistryError;
};

// Content whose sha256 is not the digest it was asked for.
class DigestMismatchError : public RegistryError {
 public:
  using RegistryError::RegistryError;
};

}  // namespace wasmlet::registry
