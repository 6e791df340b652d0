#include "oci/bundle.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "registry/untrusted_json.h"
#include "wasmlet/error.h"

namespace wasmlet::oci {

namespace {

using nlohmann::json;

template <typename T>
std::optional<T> optional_at(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<T>();
}

bool has_option(const json& mount, const char* option) {
  if (!mount.contains("options")) return false;
  const auto& options = mount["options"];
  return std::find(options.begin(), options.end(), option) != options.end();
}

}  // namespace

BundleConfig read_bundle(const std::filesystem::path& bundle_dir) {
  BundleConfig cfg;
  cfg.bundle = std::filesystem::absolute(bundle_dir).lexically_normal();
  std::filesystem::path file = cfg.bundle / "config.json";
  std::ifstream in(file);
  if (!in) throw Error(fmt::format("cannot read {}: the bundle has no config.json", file.string()));
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  json j = registry::parse_untrusted_json<Error>(text, file.string());
  try {
    if (!j.contains("root") || !j["root"].contains("path"))
      throw Error(fmt::format("{}: root.path is missing", file.string()));
    std::filesystem::path root = j["root"]["path"].get<std::string>();
    cfg.rootfs = (root.is_absolute() ? root : cfg.bundle / root).lexically_normal();
    cfg.rootfs_read_only = j["root"].value("readonly", false);

    if (!j.contains("process")) throw Error(fmt::format("{}: process is missing", file.string()));
    const json& p = j["process"];
    cfg.terminal = p.value("terminal", false);
    cfg.args = p.value("args", std::vector<std::string>{});
    cfg.env = p.value("env", std::vector<std::string>{});
    cfg.cwd = p.value("cwd", std::string("/"));
    if (p.contains("user")) {
      cfg.uid = p["user"].value("uid", 0u);
      cfg.gid = p["user"].value("gid", 0u);
      cfg.additional_gids = p["user"].value("additionalGids", std::vector<uint32_t>{});
    }

    for (const auto& m : j.value("mounts", json::array())) {
      bool bind = m.value("type", "") == "bind" || has_option(m, "bind") || has_option(m, "rbind");
      if (!bind) continue;
      cfg.binds.push_back({m.value("source", ""), m.value("destination", ""), has_option(m, "ro")});
    }

    cfg.annotations = j.value("annotations", std::map<std::string, std::string>{});

    if (j.contains("linux")) {
      const json& linux = j["linux"];
      cfg.cgroups_path = linux.value("cgroupsPath", "");
      for (const auto& ns : linux.value("namespaces", json::array()))
        if (ns.contains("path")) cfg.namespaces.push_back({ns.value("type", ""), ns.value("path", "")});
      const json res = linux.value("resources", json::object());
      if (res.contains("memory")) cfg.resources.memory_limit = optional_at<int64_t>(res["memory"], "limit");
      if (res.contains("cpu")) {
        cfg.resources.cpu_shares = optional_at<uint64_t>(res["cpu"], "shares");
        cfg.resources.cpu_quota = optional_at<int64_t>(res["cpu"], "quota");
        cfg.resources.cpu_period = optional_at<uint64_t>(res["cpu"], "period");
      }
      if (res.contains("pids")) cfg.resources.pids_limit = optional_at<int64_t>(res["pids"], "limit");
    }
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: invalid config: {}", file.string(), e.what()));
  }
  if (cfg.args.empty()) throw Error(fmt::format("{}: process.args is empty", file.string()));
  return cfg;
}

}  // namespace wasmlet::oci
