#include "image_pull.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "wasmlet/registry/pull_policy.h"
#include "wasmlet/registry/registry_error.h"

namespace wasmlet::runtime {

namespace fs = std::filesystem;

void rethrow_image_error(const std::string& reference) {
  try {
    throw;
  } catch (const registry::NotFoundError& e) {
    throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("image '{}': {}", reference, e.what()));
  } catch (const registry::ImageInUseError& e) {
    throw RuntimeError(RuntimeError::Kind::Conflict, e.what());
  } catch (const registry::RegistryError& e) {
    throw RuntimeError(RuntimeError::Kind::PullFailed, fmt::format("image '{}': {}", reference, e.what()));
  } catch (const UsageError& e) {  // a malformed reference
    throw RuntimeError(RuntimeError::Kind::InvalidArgument, fmt::format("image '{}': {}", reference, e.what()));
  } catch (const Error& e) {
    throw RuntimeError(RuntimeError::Kind::Internal, fmt::format("image '{}': {}", reference, e.what()));
  }
}

namespace {

std::filesystem::path copy_in(registry::ImageStore& store, const std::string& reference, const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in && !in.eof())
    throw RuntimeError(RuntimeError::Kind::PullFailed,
                       fmt::format("image '{}': cannot read '{}' into the image store", reference, file.string()));
  auto image = registry::load_wasm(store, bytes.str(), file.string(), reference, registry::WasmCheck::Lenient);
  return store.module_file(image);
}

fs::path pull_local(registry::ImageStore& store, const std::string& reference, const fs::path& file, PullPolicy policy) {
  std::error_code ec;
  auto stored = store.find(reference);
  bool source_exists = fs::is_regular_file(file, ec);
  if (policy == PullPolicy::Never) {
    if (stored) return store.module_file(*stored);
    if (source_exists) return file;  // a local file needs no pull
    throw RuntimeError(RuntimeError::Kind::NotFound,
                       fmt::format("image '{}': the module file '{}' does not exist (pull policy never)", reference, file.string()));
  }
  if (stored && policy == PullPolicy::IfNotPresent) return store.module_file(*stored);
  if (!file.is_absolute())
    throw RuntimeError(RuntimeError::Kind::PullFailed,
                       fmt::format("image '{}': a module file must be given by an absolute path", reference));
  if (!source_exists)
    throw RuntimeError(RuntimeError::Kind::PullFailed,
                       fmt::format("image '{}': the module file '{}' does not exist", reference, file.string()));
  return copy_in(store, reference, file);
}

fs::path pull_remote(registry::ImageStore& store, const fs::path& data_dir, const std::string& reference, PullPolicy policy,
                     const std::optional<RegistryAuth>& auth, const std::atomic<bool>* cancel) {
  auto ref = registry::Reference::parse(reference);
  registry::CredentialStore logins(data_dir / "auth.json", registry::CredentialStore::default_docker_config());
  registry::ClientOptions options;
  options.credential_store = &logins;
  options.cancel = cancel;
  if (auth) options.credentials = registry::Credentials{auth->username, auth->token.empty() ? auth->password : auth->token, {}};
  registry::DistributionClient client(options);
  auto result = registry::pull_image_with_policy(store, client, ref, policy);
  if (!result.image)
    throw RuntimeError(RuntimeError::Kind::NotFound,
                       fmt::format("image '{}' is not in the local image store and the pull policy is never", reference));
  return store.module_file(*result.image);
}

}  // namespace

fs::path pull_module(registry::ImageStore& store, const fs::path& data_dir, const std::string& reference, PullPolicy policy,
                     const std::optional<RegistryAuth>& auth, const std::atomic<bool>* cancel) {
  if (reference.empty()) throw RuntimeError(RuntimeError::Kind::InvalidArgument, "the image reference must not be empty");
  return with_image_errors(reference, [&] {
    if (auto file = registry::ImageStore::local_file(reference)) return pull_local(store, reference, *file, policy);
    try {
      return pull_remote(store, data_dir, reference, policy, auth, cancel);
    } catch (const registry::RegistryError& e) {  // the registry's 404 too: the pull failed
      throw RuntimeError(RuntimeError::Kind::PullFailed, fmt::format("image '{}': {}", reference, e.what()));
    }
  });
}

}  // namespace wasmlet::runtime
