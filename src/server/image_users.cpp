#include "image_users.h"

#include <fmt/format.h>

#include "client.h"
#include "wasmlet/registry/image_store.h"
#include "wasmlet/runtime/wasm_runtime.h"
#include "wasmlet/registry/reference.h"

namespace wasmlet::server {

bool names_same_image(std::string_view instance_image, std::string_view image) {
  if (registry::ImageStore::local_file(std::string(instance_image))) return false;
  try {
    return registry::Reference::parse(instance_image).str() == registry::Reference::parse(image).str();
  } catch (const Error&) {
    return false;
  }
}

ImageUsers image_users(const std::filesystem::path& data_dir, const std::filesystem::path& socket, const std::string& reference) {
  ImageUsers users;
  try {
    auto answer = Client(socket).request("GET", "/v1/images/users?reference=" + url_encode(reference));
    for (const auto& id : answer.at("instances")) users.instances.push_back(id.get<std::string>());
    return users;
  } catch (const DaemonUnavailable&) {
  }
  // No daemon: its recorded instances are the ones it would restore. Opening
  // the database would create it, so a data dir without one has no instances.
  auto db_file = data_dir / "state.db";
  std::error_code ec;
  if (!std::filesystem::exists(db_file, ec)) {
    users.note = fmt::format("no wasmlet daemon is running at {} and no instances are recorded in {}; removing by the local store alone",
                             socket.string(), data_dir.string());
    return users;
  }
  auto records = runtime::recorded_instances(data_dir);
  for (const auto& rec : records)
    if (names_same_image(rec.image, reference)) users.instances.push_back(rec.id.str());
  users.note = fmt::format("no wasmlet daemon is running at {}; checked the {} instance{} recorded in {} instead",
                           socket.string(), records.size(), records.size() == 1 ? "" : "s", db_file.string());
  return users;
}

}  // namespace wasmlet::server
