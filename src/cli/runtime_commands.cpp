// `wasmlet serve` and the verbs that talk to it: up, create, start, stop,
// kill, rm, ps, logs, wait, stats, inspect, exec (docs/cli.md, docs/api.md).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/host_port.h"
#include "cli/run_options.h"
#include "server/api_json.h"
#include "server/client.h"
#include "server/offline.h"
#include "server/paths.h"
#include "server/server.h"
#include "wasmlet/duration.h"
#include "wasmlet/engine.h"
#include "wasmlet/data_dir.h"
#include "wasmlet/error.h"
#include "wasmlet/runtime/spec.h"
#include "wasmlet/runtime/types.h"

namespace wasmlet::cli {

namespace {

using nlohmann::json;
using server::Client;
using server::url_encode;

struct Common {
  std::string data_dir, socket, format = "table";
  bool json() const { return format == "json"; }
  Client client() const {
    auto dir = resolve_data_dir(data_dir);
    return Client(server::resolve_socket(socket, dir));
  }
};

// rm, ps and inspect also work while no daemon runs: on the state the last
// daemon recorded (server/offline.h), so an instance that keeps the daemon
// from starting can still be removed.
json ask_or_offline(const Common& c, const std::function<json(Client&)>& online,
                    const std::function<json(const server::OfflineState&)>& offline) {
  auto client = c.client();
  try {
    return online(client);
  } catch (const server::DaemonUnavailable&) {
    auto state = server::OfflineState::open(resolve_data_dir(c.data_dir));
    if (!state) throw;
    static bool noted = false;
    if (!std::exchange(noted, true))
      std::cerr << fmt::format("wasmlet: note: no daemon is running; using the state recorded in {}\n", state->data_dir().string());
    return offline(*state);
  }
}

void add_common(CLI::App* sub, Common& c, bool with_format = true) {
  sub->add_option("--data-dir", c.data_dir, "daemon data dir (default $WASMLET_DATA_DIR, $XDG_DATA_HOME/wasmlet, ~/.local/share/wasmlet)");
  sub->add_option("--socket", c.socket, "daemon socket (default $WASMLET_SOCKET, DATA_DIR/wasmlet.sock)");
  if (with_format) sub->add_option("--format", c.format, "output format")->check(CLI::IsMember({"table", "json"}));
}

std::string instance_path(const std::string& id, const std::string& rest = "") {
  runtime::InstanceId::parse(id);  // a clear message for a malformed id, before asking the daemon
  return "/v1/instances/" + url_encode(id) + rest;
}

// `-t 10` (seconds) or a duration ("500ms"), as the daemon's timeout parameter.
std::string stop_timeout(std::string t) {
  if (!t.empty() && std::all_of(t.begin(), t.end(), ::isdigit)) t += "s";
  parse_duration(t);
  return t;
}

// docker's spellings of a signal: "9", "KILL", "sigkill" -> "SIGKILL".
std::string signal_name(const std::string& given) {
  static const std::map<std::string, std::string> numbers = {{"1", "SIGHUP"},   {"2", "SIGINT"},   {"9", "SIGKILL"},
                                                             {"10", "SIGUSR1"}, {"12", "SIGUSR2"}, {"15", "SIGTERM"}};
  if (auto it = numbers.find(given); it != numbers.end()) return it->second;
  std::string name;
  for (char ch : given) name += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name.rfind("SIG", 0) == 0 ? name : "SIG" + name;
}

std::string read_spec(const std::string& file, std::string& base_dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) throw UsageError(fmt::format("cannot read the spec file '{}': it is a directory", file));
  std::ifstream in(file);
  if (!in) throw UsageError(fmt::format("cannot read the spec file '{}'", file));
  std::stringstream ss;
  ss << in.rdbuf();
  base_dir = std::filesystem::absolute(file).parent_path().string();
  runtime::check_spec_utf8(ss.str(), file);  // before it goes into JSON, which must be UTF-8 too
  return ss.str();
}

std::string age(const json& t) {
  if (!t.is_string()) return "-";
  auto then = runtime::parse_time(t.get<std::string>());
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(runtime::Clock::now() - then).count();
  if (secs < 60) return fmt::format("{}s ago", secs);
  if (secs < 3600) return fmt::format("{}m ago", secs / 60);
  if (secs < 86400) return fmt::format("{}h ago", secs / 3600);
  return fmt::format("{}d ago", secs / 86400);
}

void print_warnings(const json& r) {
  for (const auto& w : r["warnings"]) std::cerr << "wasmlet: warning: " << w.get<std::string>() << "\n";
}

// `create`: the ids created.
void print_created(const json& r, bool as_json) {
  if (as_json) {
    std::cout << r.dump(2) << "\n";
    return;
  }
  print_warnings(r);
  for (const auto& id : r["created"]) std::cout << id.get<std::string>() << "\n";
}

// `up`: what was done to each instance; a failed one is an error naming it and
// why, and makes the command fail.
void print_up(const json& r, bool as_json) {
  bool failed = false;
  for (const auto& i : r["instances"]) failed = failed || i["action"] == "failed";
  if (as_json) {
    std::cout << r.dump(2) << "\n";
  } else {
    print_warnings(r);
    for (const auto& i : r["instances"]) {
      if (i["action"] == "failed") continue;
      std::cout << fmt::format("{} {}\n", i["id"].get<std::string>(), i["action"].get<std::string>());
    }
    for (const auto& i : r["instances"])
      if (i["action"] == "failed")
        std::cerr << fmt::format("wasmlet: error: {} did not start: {}\n", i["id"].get<std::string>(), i["error"].get<std::string>());
  }
  if (failed) exit_status = 1;
}

// The bearer token of `serve --listen`: the file's first line, or a new
// random one written to it (0600) when it is missing or empty. Anything but
// a regular file is refused before it is touched: writing "to" a directory
// wrote nothing and served with a token nobody could read.
std::string bearer_token(const std::filesystem::path& file) {
  std::error_code ec;
  auto status = std::filesystem::status(file, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    throw UsageError(fmt::format("--token-file {}: {}; give the path of a file (it is created with a new token if missing)",
                                 file.string(), std::filesystem::is_directory(status) ? "is a directory" : "is not a regular file"));
  std::string token;
  if (std::filesystem::exists(status)) {
    std::ifstream in(file);
    if (!in) throw Error(fmt::format("cannot read the bearer token from {}: {}", file.string(), std::strerror(errno)));
    std::getline(in, token);
  }
  if (!token.empty()) return token;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  std::ifstream rnd("/dev/urandom", std::ios::binary);
  unsigned char buf[24];
  if (!rnd.read(reinterpret_cast<char*>(buf), sizeof buf)) throw Error("cannot read /dev/urandom for a bearer token");
  for (unsigned char b : buf) token += fmt::format("{:02x}", b);
  // Created 0600 from the start, never readable by others in between.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::string line = token + "\n";
  bool written = fd >= 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  int err = errno;
  if (fd >= 0) ::close(fd);
  if (!written) throw Error(fmt::format("cannot write a new bearer token to {}: {}", file.string(), std::strerror(err)));
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  std::cerr << fmt::format("wasmlet: wrote a new bearer token to {}\n", file.string());
  return token;
}

void register_serve(CLI::App& app) {
  auto* sub = app.add_subcommand("serve", "Run the wasmlet daemon (HTTP/JSON API on a Unix socket)");
  auto c = std::make_shared<Common>();
  auto listen = std::make_shared<std::string>();
  auto token_file = std::make_shared<std::string>();
  add_common(sub, *c, false);
  sub->add_option("--listen", *listen, "also serve on 127.0.0.1:PORT (requests need the bearer token)");
  sub->add_option("--token-file", *token_file, "file holding the bearer token for --listen (default DATA_DIR/token, created if absent)");
  auto tier = std::make_shared<std::string>("auto");
  sub->add_option("--tier", *tier, "how instances run: auto (default: cached native code, else the interpreter while it is compiled in the background for the next start), aot or interp")
      ->type_name("auto|aot|interp");
  sub->callback([c, listen, token_file, tier] {
    server::ServerOptions o;
    o.tier = tier_option(*tier);
    o.data_dir = resolve_data_dir(c->data_dir);
    o.socket = server::resolve_socket(c->socket, o.data_dir);
    if (!listen->empty()) {
      // A bare PORT is 127.0.0.1:PORT.
      HostPort hp = parse_host_port(listen->find(':') == std::string::npos ? "127.0.0.1:" + *listen : *listen, "--listen",
                                    "127.0.0.1:8080");
      if (hp.host != "127.0.0.1" && hp.host != "localhost")
        throw UsageError(fmt::format("--listen {}: the daemon listens on 127.0.0.1 only", *listen));
      o.tcp_port = hp.port;
      o.token = bearer_token(token_file->empty() ? o.data_dir / "token" : std::filesystem::path(*token_file));
    }
    server::Server srv(o);
    srv.run(true);
  });
}

void register_up_create(CLI::App& app) {
  for (bool up : {true, false}) {
    auto* sub = up ? app.add_subcommand("up", "Create, recreate (changed spec) or start every service and replica of a spec file")
                   : app.add_subcommand("create", "Create instances from a spec file without starting them");
    auto c = std::make_shared<Common>();
    auto file = std::make_shared<std::string>();
    auto services = std::make_shared<std::vector<std::string>>();
    auto replica = std::make_shared<int>(-1);
    add_common(sub, *c);
    sub->add_option("-f,--file", *file, "spec file (YAML, docs/spec.md)")->required();
    sub->add_option("--service", *services, "only these services (repeatable)");
    if (!up) sub->add_option("--replica", *replica, "only this replica (0, 1, ... below scale.replicas)")->check(CLI::NonNegativeNumber);
    sub->callback([c, file, services, replica, up] {
      json body;
      std::string base;
      body["yaml"] = read_spec(*file, base);
      body["source"] = *file;
      body["base_dir"] = base;
      body["services"] = *services;
      if (*replica >= 0) body["replica"] = *replica;
      body["start"] = up;
      auto r = c->client().request("POST", up ? "/v1/deployments" : "/v1/instances", body);
      if (up) print_up(r, c->json());
      else print_created(r, c->json());
    });
  }
}

// A verb over one or more instance ids: its subcommand, common options and ids.
struct IdsVerb {
  CLI::App* sub;
  std::shared_ptr<Common> c;
  std::shared_ptr<std::vector<std::string>> ids;
};

IdsVerb ids_verb(CLI::App& app, const char* name, const char* description) {
  IdsVerb v{app.add_subcommand(name, description), std::make_shared<Common>(), std::make_shared<std::vector<std::string>>()};
  add_common(v.sub, *v.c);
  return v;
}

// Runs `each` for every id, as docker does: a failure is reported
// ("wasmlet: error: ...") and the other ids still go. Then the exit status
// is that of the failures (failure_status), if there were any. A daemon
// that cannot be reached fails them all alike: that ends the command.
void for_each_id(const std::vector<std::string>& ids, const std::function<void(const std::string&)>& each) {
  int failed = 0;
  for (const auto& id : ids) {
    try {
      each(id);
    } catch (const server::DaemonUnavailable&) {
      throw;
    } catch (const Error& e) {
      std::cout.flush();
      std::cerr << "wasmlet: error: " << e.what() << "\n";
      failed = std::max(failed, failure_status(e.code()));
    }
  }
  if (failed) exit_status = failed;
}

void add_ids(const IdsVerb& v) { v.sub->add_option("ids", *v.ids, "instance ids (SERVICE-rep-N, or DEPLOYMENT.SERVICE-rep-N when two deployments have one)")->required(); }

// A verb that sends one request per id and prints the id (or, with
// --format json, the daemon's answer). `path_of` maps an id to the request.
// `offline`, when set, answers while no daemon runs (ask_or_offline).
void per_id_verb(CLI::App& app, const char* name, const char* description, const char* method,
                 const std::function<void(CLI::App*)>& extra_options,
                 const std::function<std::string(const std::string&)>& path_of,
                 const std::function<json(const server::OfflineState&, const std::string&)>& offline = {}) {
  auto v = ids_verb(app, name, description);
  extra_options(v.sub);
  add_ids(v);
  v.sub->callback([c = v.c, ids = v.ids, method, path_of, offline] {
    auto cl = c->client();
    for_each_id(*ids, [&](const std::string& id) {
      auto online = [&](Client& client) { return client.request(method, path_of(id)); };
      auto r = offline ? ask_or_offline(*c, online, [&](const server::OfflineState& s) { return offline(s, id); }) : online(cl);
      std::cout << (c->json() ? r.dump() : id) << "\n";
    });
  });
}

void register_simple(CLI::App& app) {
  per_id_verb(app, "start", "Start created or finished instances", "POST", [](CLI::App*) {},
              [](const std::string& id) { return instance_path(id, "/start"); });
  auto timeout = std::make_shared<std::string>("10");
  per_id_verb(
      app, "stop", "Stop instances: interrupt (SIGTERM, 143), then end after the timeout (SIGKILL, 137)", "POST",
      [timeout](CLI::App* sub) {
        sub->add_option("-t,--time", *timeout, "seconds (or a duration: 500ms) to wait before killing")->capture_default_str();
      },
      [timeout](const std::string& id) { return instance_path(id, "/stop?timeout=" + url_encode(stop_timeout(*timeout))); });
  auto restart_timeout = std::make_shared<std::string>("10");
  per_id_verb(
      app, "restart", "Restart instances: stop them (as stop), then start them", "POST",
      [restart_timeout](CLI::App* sub) {
        sub->add_option("-t,--time", *restart_timeout, "seconds (or a duration: 500ms) to wait before killing")->capture_default_str();
      },
      [restart_timeout](const std::string& id) {
        return instance_path(id, "/restart?timeout=" + url_encode(stop_timeout(*restart_timeout)));
      });
  auto signal = std::make_shared<std::string>("SIGKILL");
  per_id_verb(
      app, "kill", "Send a signal to instances (default SIGKILL: exit 137)", "POST",
      [signal](CLI::App* sub) {
        sub->add_option("-s,--signal", *signal, "SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGUSR1 or SIGUSR2 (also KILL, 9, ...)")
            ->capture_default_str();
      },
      [signal](const std::string& id) { return instance_path(id, "/kill?signal=" + url_encode(signal_name(*signal))); });
  auto force = std::make_shared<bool>(false);
  per_id_verb(
      app, "rm", "Remove instances (their logs and tmpfs mounts; named volumes stay)", "DELETE",
      [force](CLI::App* sub) { sub->add_flag("-f,--force", *force, "kill running instances first"); },
      [force](const std::string& id) { return instance_path(id, *force ? "?force=true" : ""); },
      [](const server::OfflineState& state, const std::string& id) { return state.remove(runtime::InstanceId::parse(id)); });
}

// The deployment named by `down`'s argument, or by the spec file's `deployment`.
std::string deployment_of(const std::string& name, const std::string& file) {
  if (!name.empty() && !file.empty()) throw UsageError("down takes a deployment name or -f SPEC, not both");
  if (name.empty() && file.empty()) throw UsageError("down needs a deployment name or -f SPEC (see `wasmlet ps -a`)");
  if (!file.empty()) {
    std::string base;
    return runtime::parse_deployment(read_spec(file, base), file).deployment;
  }
  return name;
}

void register_down(CLI::App& app) {
  auto* sub = app.add_subcommand("down", "Stop and remove a deployment's instances (--volumes: and its named volumes)");
  auto c = std::make_shared<Common>();
  auto file = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto volumes = std::make_shared<bool>(false);
  auto timeout = std::make_shared<std::string>("10");
  add_common(sub, *c);
  sub->add_option("-f,--file", *file, "the spec file whose deployment to remove");
  sub->add_option("deployment", *name, "the deployment to remove");
  sub->add_flag("-v,--volumes", *volumes, "also remove the named volumes its instances mounted (not those another instance mounts)");
  sub->add_option("-t,--time", *timeout, "seconds (or a duration: 500ms) to wait for each instance to stop before killing it")
      ->capture_default_str();
  sub->callback([c, file, name, volumes, timeout] {
    std::string deployment = deployment_of(*name, *file);
    auto r = c->client().request("DELETE", "/v1/deployments/" + url_encode(deployment) + "?timeout=" + url_encode(stop_timeout(*timeout)) +
                                               (*volumes ? "&volumes=true" : ""));
    if (c->json()) {
      std::cout << r.dump(2) << "\n";
      return;
    }
    for (const auto& id : r["removed"]) std::cout << id.get<std::string>() << " removed\n";
    for (const auto& v : r["volumes_removed"]) std::cout << "volume " << v.get<std::string>() << " removed\n";
    for (const auto& v : r["volumes_kept"]) std::cerr << "wasmlet: warning: volume " << v.get<std::string>() << " (kept)\n";
    for (const auto& w : r.value("warnings", json::array())) std::cerr << "wasmlet: warning: " << w.get<std::string>() << "\n";
  });
}

// `ps --filter status=S`: the states an instance reports, and docker's
// names for two of them: a created instance is "pending", and "restarting"
// is one waiting out its restart backoff (whatever its last state).
const std::vector<std::string> kStatusFilters = {"created", "pending", "running", "restarting", "stopping", "exited", "failed"};

// `ps --filter KEY=VALUE`: what an instance must match (docker's filters).
struct PsFilter {
  std::vector<std::string> statuses, deployments;
  bool matches(const json& i) const {
    auto in = [](const std::vector<std::string>& wanted, const std::string& v) {
      return wanted.empty() || std::find(wanted.begin(), wanted.end(), v) != wanted.end();
    };
    std::string status = i["state"]["status"].get<std::string>();
    bool status_ok = statuses.empty() || std::any_of(statuses.begin(), statuses.end(), [&](const std::string& s) {
                       if (s == "restarting") return i.value("restarting", false);
                       return s == status || (s == "created" && status == "pending");
                     });
    return status_ok && in(deployments, i.value("deployment", std::string()));
  }
};

PsFilter parse_filters(const std::vector<std::string>& filters) {
  PsFilter f;
  for (const auto& kv : filters) {
    auto eq = kv.find('=');
    std::string key = kv.substr(0, eq), value = eq == std::string::npos ? "" : kv.substr(eq + 1);
    if (eq == std::string::npos || value.empty())
      throw UsageError(fmt::format("invalid --filter '{}': expected KEY=VALUE (status=running, deployment=NAME)", kv));
    if (key == "status") {
      if (std::find(kStatusFilters.begin(), kStatusFilters.end(), value) == kStatusFilters.end()) {
        std::string known;
        for (const auto& k : kStatusFilters) known += (known.empty() ? "" : ", ") + k;
        throw UsageError(fmt::format("invalid --filter '{}': unknown status '{}' (known: {})", kv, value, known));
      }
      f.statuses.push_back(value);
    }
    else if (key == "deployment") f.deployments.push_back(value);
    else throw UsageError(fmt::format("invalid --filter '{}': unknown key '{}' (known: deployment, status)", kv, key));
  }
  return f;
}

void register_ps(CLI::App& app) {
  auto* sub = app.add_subcommand("ps", "List instances (running and created; -a: all)");
  auto c = std::make_shared<Common>();
  auto all = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  auto no_trunc = std::make_shared<bool>(false);
  auto filters = std::make_shared<std::vector<std::string>>();
  add_common(sub, *c);
  sub->add_flag("-a,--all", *all, "include finished instances");
  sub->add_flag("-q,--quiet", *quiet, "print only the instance ids");
  sub->add_flag("--no-trunc", *no_trunc, "do not cut the image or the state (a failure's whole reason)");
  sub->add_option("--filter", *filters, "only instances that match: status=STATUS (created, running, restarting, stopping, exited, failed), "
                  "deployment=NAME; repeatable")->allow_extra_args(false);
  sub->callback([c, all, quiet, no_trunc, filters] {
    PsFilter filter = parse_filters(*filters);
    // A status filter looks at every instance, as docker's does.
    bool everything = *all || !filter.statuses.empty();
    auto r = ask_or_offline(
        *c, [&](Client& client) { return client.request("GET", std::string("/v1/instances") + (everything ? "?all=true" : "")); },
        [&](const server::OfflineState& state) { return state.list(everything); });
    json shown = json::array();
    for (const auto& i : r)
      if (filter.matches(i)) shown.push_back(i);
    if (c->json()) {
      std::cout << shown.dump(2) << "\n";
      return;
    }
    if (*quiet) {
      for (const auto& i : shown) std::cout << i["id"].get<std::string>() << "\n";
      return;
    }
    std::cout << fmt::format("{:<28} {:<16} {:<36} {:<24} {:<10} {:<9} {}\n", "ID", "DEPLOYMENT", "IMAGE", "STATE", "HEALTH",
                             "RESTARTS", "CREATED");
    for (const auto& i : shown) {
      std::string id = i["id"].get<std::string>(), image = i["image"].get<std::string>();
      if (image.size() > 36 && !*no_trunc) image = "..." + image.substr(image.size() - 33);
      std::string state = i["state"]["text"].get<std::string>();
      if (i["state"]["status"] == "failed") {  // the reason without the "instance ID (image I): " it starts with
        std::string reason = i["state"]["reason"].get<std::string>();
        auto colon = reason.rfind("instance " + i.value("qualified_id", id), 0) == 0 ? reason.find("): ") : std::string::npos;
        state = "failed: " + (colon == std::string::npos ? reason : reason.substr(colon + 3));
      }
      if (i.value("restarting", false)) state = "restarting: " + state;
      if (state.size() > 24 && !*no_trunc) state = state.substr(0, 21) + "...";
      std::string health = i["state"]["status"] == "running" ? i["health"]["status"].get<std::string>() : "-";
      std::string deployment = i.value("deployment", "");
      std::cout << fmt::format("{:<28} {:<16} {:<36} {:<24} {:<10} {:<9} {}\n", id, deployment.empty() ? "-" : deployment, image, state,
                               health, i["restart_count"].get<int>(), age(i["created_at"]));
    }
  });
}

void register_logs(CLI::App& app) {
  auto* sub = app.add_subcommand("logs", "Show an instance's output (stdout and stderr, in the order written)");
  auto c = std::make_shared<Common>();
  auto id = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  auto timestamps = std::make_shared<bool>(false);
  auto tail = std::make_shared<std::string>();
  auto since = std::make_shared<std::string>();
  add_common(sub, *c);
  sub->add_flag("-f,--follow", *follow, "keep printing new lines until the instance finishes");
  sub->add_flag("-t,--timestamps", *timestamps, "prefix each line with its time");
  sub->add_option("--tail", *tail, "only the last N lines (0: none; with -f, only new ones), or `all` (the default)");
  sub->add_option("--since", *since, "only lines since a time (RFC 3339) or a duration ago (10m)");
  sub->add_option("id", *id, "instance id")->required();
  sub->callback([c, id, follow, timestamps, tail, since] {
    std::vector<std::string> params;
    if (!tail->empty() && *tail != "all") {
      size_t lines = 0;
      auto [end, ec] = std::from_chars(tail->data(), tail->data() + tail->size(), lines);
      if (ec != std::errc() || end != tail->data() + tail->size())
        throw UsageError(fmt::format("invalid --tail '{}': a number of lines (0 or more) or `all`", *tail));
      params.push_back(fmt::format("tail={}", lines));
    }
    if (!since->empty()) {
      runtime::parse_time(*since);
      params.push_back("since=" + url_encode(*since));
    }
    if (*follow) params.push_back("follow=true");
    const std::string q = params.empty() ? "" : fmt::format("?{}", fmt::join(params, "&"));
    c->client().stream("GET", instance_path(*id, "/logs" + q), nullptr, [&](const json& e) {
      // A failure after the answer began (the daemon shutting down) is its last line.
      if (e.contains("error") && e["error"].is_string()) {
        const std::string kind = e.contains("kind") && e["kind"].is_string() ? e["kind"].get<std::string>() : "";
        const auto runtime_kind = runtime::runtime_error_kind_from_string(kind);
        if (kind == runtime::to_string(runtime_kind)) throw runtime::RuntimeError(runtime_kind, e["error"].get<std::string>());
        throw Error(e["error"].get<std::string>(), ErrorCode::Internal);
      }
      if (c->json()) {
        std::cout << e.dump() << std::endl;
        return true;
      }
      std::string line = (*timestamps ? e["timestamp"].get<std::string>() + " " : "") + e["message"].get<std::string>();
      if (e["stream"] == "stderr") {
        std::cout.flush();
        std::cerr << line << std::endl;
      } else {
        std::cout << line << "\n";
        if (*follow) std::cout.flush();
      }
      return true;
    });
  });
}

void register_wait(CLI::App& app) {
  auto v = ids_verb(app, "wait", "Block until instances finish; print (and exit with) their exit codes");
  add_ids(v);
  v.sub->callback([c = v.c, ids = v.ids] {
    auto cl = c->client();
    int status = 0;
    for_each_id(*ids, [&](const std::string& id) {
      auto r = cl.request("POST", instance_path(id, "/wait"));
      if (c->json()) {
        r["id"] = id;
        std::cout << r.dump() << std::endl;
      } else {
        std::cout << r["exit_code"].get<int>() << std::endl;
      }
      status = guest_exit_status(r["exit_code"].get<int64_t>(), id);
    });
    if (exit_status == 0) exit_status = status;  // a failure to wait outweighs an exit code
  });
}

void register_stats(CLI::App& app) {
  auto v = ids_verb(app, "stats", "CPU time, linear memory, memory limit and fuel of instances (all running ones by default)");
  v.sub->add_option("ids", *v.ids, "instance ids (default: every running instance)");
  // No variable: one that died with this function was written after it (ASan, heap-use-after-free).
  v.sub->add_flag("--no-stream")->description("print once (accepted for docker's habit: wasmlet stats always prints once)");
  v.sub->callback([c = v.c, ids = v.ids] {
    auto cl = c->client();
    std::vector<std::string> wanted = *ids;
    if (wanted.empty())
      for (const auto& i : cl.request("GET", "/v1/instances"))
        if (i["state"]["status"] == "running") wanted.push_back(i["id"].get<std::string>());
    // Everything is asked first, so that an error is not printed under a table header.
    std::vector<json> rows;
    for (const auto& id : wanted) {
      auto r = cl.request("GET", instance_path(id, "/stats"));
      r["id"] = id;
      rows.push_back(r);
    }
    if (c->json()) {
      for (const auto& r : rows) std::cout << r.dump() << "\n";
      return;
    }
    std::cout << fmt::format("{:<28} {:>12} {:>14} {:>14} {:>16}\n", "ID", "CPU", "MEMORY", "LIMIT", "FUEL");
    for (const auto& r : rows)
      std::cout << fmt::format("{:<28} {:>10.3f}s {:>12.1f}Mi {:>12.1f}Mi {:>16}\n", r["id"].get<std::string>(),
                               r["cpu_usage_usec"].get<double>() / 1e6, r["memory_bytes"].get<double>() / 1048576.0,
                               r["memory_limit"].get<double>() / 1048576.0, r["fuel_consumed"].get<uint64_t>());
  });
}

void register_inspect(CLI::App& app) {
  auto v = ids_verb(app, "inspect", "Everything about instances: JSON (default) or a short table");
  v.c->format = "json";
  add_ids(v);
  v.sub->callback([c = v.c, ids = v.ids] {
    json all = json::array();
    for_each_id(*ids, [&](const std::string& id) {
      all.push_back(ask_or_offline(
          *c, [&](Client& client) { return client.request("GET", instance_path(id)); },
          [&](const server::OfflineState& state) { return state.inspect(runtime::InstanceId::parse(id)); }));
    });
    if (c->json()) {
      std::cout << all.dump(2) << "\n";
      return;
    }
    for (const auto& i : all) {
      std::cout << fmt::format("ID:        {}\nImage:     {}\n", i["id"].get<std::string>(), i["image"].get<std::string>());
      if (i.contains("module_digest") && i["module_digest"].is_string())
        std::cout << fmt::format("Digest:    {}\n", i["module_digest"].get<std::string>());
      std::cout << fmt::format("State:     {}\n", i["state"]["text"].get<std::string>());
      if (i["state"].contains("reason")) std::cout << fmt::format("Reason:    {}\n", i["state"]["reason"].get<std::string>());
      std::cout << fmt::format("Created:   {}\nRestarts:  {}\n\n", i["created_at"].get<std::string>(),
                               i["restart_count"].get<int>());
    }
  });
}

void register_exec(CLI::App& app) {
  auto* sub = app.add_subcommand("exec", "Run a command as a fresh instance of the same module in the same sandbox");
  auto c = std::make_shared<Common>();
  auto id = std::make_shared<std::string>();
  auto cmd = std::make_shared<std::vector<std::string>>();
  add_common(sub, *c);
  sub->add_option("id", *id, "instance id")->required();
  sub->add_option("cmd", *cmd, "the command's arguments (after --)")->required();
  sub->callback([c, id, cmd] {
    // As docker: exec joins a running instance's sandbox, never a stopped one.
    auto info = c->client().request("GET", instance_path(*id));
    if (info["state"]["status"] != "running")
      throw Error(fmt::format("instance {} is not running ({}); start it first: wasmlet start {}", *id,
                              info["state"]["text"].get<std::string>(), *id));
    int code = 1;
    c->client().stream("POST", instance_path(*id, "/exec"), json{{"cmd", *cmd}}, [&](const json& e) {
      if (c->json()) std::cout << e.dump() << std::endl;
      if (e.contains("error") && !c->json()) std::cerr << "wasmlet: error: " << e["error"].get<std::string>() << "\n";
      if (e.contains("exit")) code = e["exit"].get<int>();
      if (c->json() || e.contains("error") || e.contains("exit")) return true;
      // The guest's bytes as written: text, or base64 where they are not UTF-8.
      const runtime::ExecEvent out = server::exec_event_from_json(e);
      std::ostream& to = out.kind == runtime::ExecEvent::Kind::Stderr ? std::cerr : std::cout;
      to.write(out.data.data(), static_cast<std::streamsize>(out.data.size()));
      to.flush();
      return true;
    });
    exit_status = guest_exit_status(code, *id);
  });
}

// `wasmlet run -d`'s service name when --name is not given: the module's
// file name or the image's repository, in the characters a name allows.
std::string default_service_name(const std::string& module) {
  std::string base = std::filesystem::path(module).stem().string();
  if (!names_a_file(module)) {
    std::string repo = module.substr(0, module.find_first_of(":@", module.rfind('/') == std::string::npos ? 0 : module.rfind('/')));
    base = repo.substr(repo.rfind('/') == std::string::npos ? 0 : repo.rfind('/') + 1);
  }
  // A valid name (spec.cpp): letters, digits, - and _, starting with a
  // letter or digit, at most 63 characters, no "-rep-". A run of other bytes
  // (one UTF-8 character is several) becomes one '-'.
  std::string name;
  for (char ch : base) {
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') name += ch;
    else if (!name.empty() && name.back() != '-') name += '-';
  }
  for (size_t at; (at = name.find("-rep-")) != std::string::npos;) name.replace(at, 5, "-");
  name.erase(0, name.find_first_not_of("-_"));
  if (name.size() > 63) name.resize(63);
  return name.empty() ? "run" : name;
}

// A path the user gave, against this process's working directory (the
// daemon's is another), without "." and ".." (ps and inspect show it).
std::string absolute_path(const std::filesystem::path& given) {
  return std::filesystem::absolute(given).lexically_normal().string();
}

// `wasmlet run -d`: the run flags as a one-service deployment (JSON is YAML),
// created and started by the daemon as `docker run -d` does.
void run_detached(const RunOptions& o) {
  for (auto [given, flag] : {std::pair{!o.invoke.empty(), "--invoke"}, {!o.stdin_source.empty() || o.no_stdin, "--stdin"},
                             {!o.argv0.empty(), "--argv0"}})
    if (given) throw UsageError(fmt::format("{} applies to a run in the foreground, not to a daemon instance (-d)", flag));
  std::string name = o.name.empty() ? default_service_name(o.module) : o.name;
  json service;
  if (names_a_file(o.module)) {
    if (!std::filesystem::is_regular_file(o.module))
      throw UsageError(fmt::format("cannot open module '{}': not a file", o.module));
    service["image"] = absolute_path(o.module);
  } else {
    std::string policy = o.pull == "missing" ? "if_not_present" : o.pull;
    service["image"] = {{"name", o.module}, {"pull_policy", policy}};
  }
  json env = json::object();
  for (const auto& kv : guest_env(o)) env[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
  if (!env.empty()) service["env"] = env;
  if (!o.args.empty()) service["command"] = {{"args", o.args}};
  json storage = json::array();
  for (const auto& p : guest_preopens(o))
    storage.push_back({{"type", "bind"}, {"source", absolute_path(p.host_path)}, {"target", p.guest_path},
                       {"readonly", p.read_only}});
  if (!storage.empty()) service["storage"] = storage;
  json wasm = json::object();
  if (!o.max_memory.empty()) wasm["max_memory"] = o.max_memory;
  else if (o.max_memory_bytes) wasm["max_memory"] = fmt::format("{}Ki", (*o.max_memory_bytes + 1023) / 1024);
  if (!o.fuel.empty()) wasm["max_fuel"] = fuel_option(o.fuel);
  if (!o.timeout.empty()) wasm["request_timeout"] = format_duration(timeout_option(o.timeout, "no limit"));
  // A standard service has the cli, filesystem and sockets capabilities
  // already (docs/spec.md); what --allow-sockets adds in the foreground is
  // TCP and UDP sockets for a component, which the spec gates separately.
  if (o.allow_sockets) {
    wasm["allow_tcp"] = true;
    wasm["allow_udp"] = true;
  }
  if (!wasm.empty()) service["wasm"] = wasm;
  json endpoints = json::array();
  for (const auto& l : o.listeners) {
    HostPort hp = parse_host_port(l, "--tcplisten", "127.0.0.1:8080");
    if (hp.host != "127.0.0.1")
      throw UsageError(fmt::format("--tcplisten {}: a daemon instance listens on 127.0.0.1:PORT", l));
    endpoints.push_back({{"name", fmt::format("tcp{}", endpoints.size())}, {"protocol", "tcp"}, {"port", hp.port}});
  }
  if (!endpoints.empty()) service["endpoints"] = endpoints;
  json spec = {{"version", "v1"}, {"deployment", name}, {"services", {{name, service}}}};
  std::string spec_text;
  try {
    spec_text = spec.dump();
  } catch (const json::type_error&) {  // a daemon instance's spec is UTF-8 text
    throw UsageError("a daemon instance's module path, --dir paths, arguments and environment must be UTF-8 text; one "
                     "of them is not (rename the file, or run it in the foreground without -d)");
  }
  json body = {{"yaml", spec_text}, {"source", "wasmlet run -d"}, {"base_dir", std::filesystem::current_path().string()},
               {"start", false}};
  Common common;
  common.data_dir = o.data_dir;
  common.socket = o.socket;
  auto client = common.client();
  auto created = client.request("POST", "/v1/instances", body);
  for (const auto& w : created["warnings"]) std::cerr << "wasmlet: warning: " << w.get<std::string>() << "\n";
  for (const auto& id : created["created"]) {
    client.request("POST", instance_path(id.get<std::string>(), "/start"));
    std::cout << id.get<std::string>() << "\n";
  }
}

}  // namespace

void register_runtime_commands(CLI::App& app) {
  run_detached_hook = run_detached;
  register_serve(app);
  register_up_create(app);
  register_simple(app);
  register_down(app);
  register_ps(app);
  register_logs(app);
  register_wait(app);
  register_stats(app);
  register_inspect(app);
  register_exec(app);
}

}  // namespace wasmlet::cli
