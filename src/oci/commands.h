// The runc commands wasmlet-oci implements for its wasm containers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "oci/state_store.h"

namespace wasmlet::oci {

struct GlobalOptions {
  std::string root;        // --root: where container state lives
  bool systemd_cgroup = false;
  std::vector<std::string> argv;  // every argument after argv[0], for delegation
};

struct CreateOptions {
  std::string id, bundle = ".", pid_file, console_socket;
};

// Each returns the process exit status; failures throw Error.
int create_container(const GlobalOptions& global, const CreateOptions& options);
int start_container(const StateStore& store, const std::string& id);
int print_state(const StateStore& store, const std::string& id);
int kill_container(const StateStore& store, const std::string& id, int signal, bool all);
int delete_container(const StateStore& store, const std::string& id, bool force);
int print_processes(const StateStore& store, const std::string& id, bool json);
int print_features();

// "15", "TERM", "SIGTERM" -> 15. Throws Error for anything else.
int parse_signal(const std::string& name);

// Where compiled modules are cached: $WASMLET_OCI_CACHE_DIR, else
// /var/cache/wasmlet when writable (root), else ROOT/cache.
std::string node_cache_dir(const std::string& root);

}  // namespace wasmlet::oci
