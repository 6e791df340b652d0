// Which instances use an image reference, for `wasmlet rmi`: the running
// daemon's answer (GET /v1/images/users), else the instances recorded in
// DATA_DIR/state.db, which a daemon started later restores and may run again.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace wasmlet::server {

// True when an instance's image (as its spec names it) is the registry
// reference `image`; both are normalized ("app" = "docker.io/library/app:latest").
// Module files and unparsable names never match.
bool names_same_image(std::string_view instance_image, std::string_view image);

struct ImageUsers {
  std::vector<std::string> instances;  // instance ids, e.g. "web-rep-0"
  std::string note;                    // set when no daemon answered: what was consulted instead
};

// Asks the daemon at `socket`; when none is running, reads `data_dir`/state.db.
ImageUsers image_users(const std::filesystem::path& data_dir, const std::filesystem::path& socket, const std::string& reference);

}  // namespace wasmlet::server
