#include "server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <httplib.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <limits>
#include <list>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "api_json.h"
#include "data_dir_lock.h"
#include "http_status.h"
#include "image_users.h"
#include "open_connections.h"
#include "serve_paths.h"
#include "util/untrusted_json.h"
#include "wasmlet/registry/image_store.h"
#include "wasmlet/duration.h"
#include "wasmlet/error.h"
#include "wasmlet/registry/reference.h"
#include "wasmlet/runtime/compose.h"
#include "wasmlet/runtime/wasm_runtime.h"
#include "wasmlet/version.h"

namespace wasmlet::server {

using namespace wasmlet::runtime;

namespace {

// How long the daemon's shutdown lets the answers under way go out (a wait's
// or a follow's last lines, woken by the runtime's shutdown) before it cuts
// the connections: a client that reads nothing holds it no longer.
constexpr auto kAnswerGrace = std::chrono::seconds(5);

// The connections answering a request (from its routing until the connection
// is closed). At shutdown they are let finish before the connections are cut:
// httplib drops every write to a connection whose reading side is shut (it
// takes the end of file for a client gone), so cutting at once lost a wait's
// streamed last line, or the end of its stream, about one time in four.
class Answering {
 public:
  // In the connection's thread, once its request is read (again is a no-op).
  void begin() {
    if (mine_) return;
    mine_ = true;
    std::lock_guard lock(mu_);
    ++count_;
  }
  // In the connection's thread, once the connection is closed.
  void end() {
    if (!mine_) return;
    mine_ = false;
    {
      std::lock_guard lock(mu_);
      --count_;
    }
    cv_.notify_all();
  }
  // Whether every answer ended within `limit`.
  bool wait_all(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return count_ == 0; });
  }

 private:
  static inline thread_local bool mine_ = false;  // one connection per thread
  std::mutex mu_;
  std::condition_variable cv_;
  size_t count_ = 0;
};

// One thread per connection: waits, log follows and exec streams may block
// for a long time, which a small fixed pool would not survive.
class ThreadPerConnection : public httplib::TaskQueue {
 public:
  explicit ThreadPerConnection(Answering& answering) : answering_(answering) {}
  void enqueue(std::function<void()> fn) override {
    std::lock_guard lock(mu_);
    reap_locked();
    auto it = threads_.emplace(threads_.end());
    auto done = std::make_shared<std::atomic<bool>>(false);
    it->second = done;
    it->first = std::thread([fn = std::move(fn), done, &answering = answering_] {
      fn();  // reads the request, answers it, closes the connection
      answering.end();
      *done = true;
    });
  }
  void shutdown() override {
    std::list<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> all;
    {
      std::lock_guard lock(mu_);
      all.swap(threads_);
    }
    for (auto& [t, _] : all)
      if (t.joinable()) t.join();
  }

 private:
  void reap_locked() {
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (*it->second) {
        it->first.join();
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
  }
  Answering& answering_;
  std::mutex mu_;
  std::list<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> threads_;
};

void send_error(httplib::Response& res, int status, const std::string& kind, const std::string& message) {
  res.status = status;
  res.set_content(json_line(json{{"error", message}, {"kind", kind}}), "application/json");
}

// Every error is answered by the one table of server/http_status.h.
void send_error(httplib::Response& res, const Error& error) {
  send_error(res, http_status(error), error_kind(error), error.what());
}

void send_json(httplib::Response& res, const json& j, int status = 200) {
  res.status = status;
  res.set_content(json_line(j), "application/json");
}

// A request that may carry a body but says neither how long it is nor that
// it is chunked: httplib would read it up to the end of the connection,
// which a client waiting for its answer never sends, and answer an empty 400
// after the read timeout (30 s). It is refused at once, in JSON.
bool refused_without_length(const httplib::Request& req, httplib::Response& res) {
  const bool may_have_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  if (!may_have_body || req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) return false;
  send_error(res, 411, to_string(ErrorCode::InvalidArgument),
             fmt::format("{} {}: the request has no Content-Length; send its JSON body with one (Content-Length: 0 "
                         "for none)",
                         req.method, req.path));
  return true;
}

// Errors httplib answers itself (an unknown path, a request it cannot read)
// come with an empty body; they get the JSON error every answer has.
void json_error_body(const httplib::Request& req, httplib::Response& res) {
  if (!res.body.empty()) return;
  std::string message = res.status == 404 ? fmt::format("{} {}: no such API path (see docs/api.md)", req.method, req.path)
                                          : fmt::format("{} {}: the request could not be read (HTTP status {})",
                                                        req.method, req.path, res.status);
  send_error(res, res.status, to_string(res.status == 404 ? ErrorCode::NotFound : ErrorCode::InvalidArgument), message);
}

// Parsed with a nesting limit: a body nested 300,000 deep parses (nlohmann's
// parser is iterative), but copying or dumping it (the error naming a bad
// 'replica' did) recursed once per level and overflowed the handler thread's
// stack, ending the daemon and every instance it ran.
json body_json(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  util::UntrustedJson parsed = util::try_parse_untrusted_json(req.body);
  if (!parsed.problem.empty())
    throw RuntimeError(RuntimeError::Kind::InvalidArgument, fmt::format("{} {}: the request body {}", req.method, req.path, parsed.problem));
  if (!parsed.value.is_object()) throw RuntimeError(RuntimeError::Kind::InvalidArgument, "the request body is not a JSON object");
  return std::move(parsed.value);
}

std::string str_field(const json& j, const char* key, const std::string& fallback = "") {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_string()) throw RuntimeError(RuntimeError::Kind::InvalidArgument, fmt::format("'{}' must be a string", key));
  return j[key].get<std::string>();
}

// Relative module paths and bind sources in a spec resolve against the spec file's directory.
void resolve_relative(ServiceSpec& spec, const std::string& base_dir) {
  if (base_dir.empty()) return;
  std::filesystem::path base(base_dir);
  if (auto file = registry::ImageStore::local_file(spec.image.name); file && file->is_relative())
    spec.image.name = (base / *file).lexically_normal().string();
  for (auto& m : spec.storage)
    if (m.type == StorageSpec::Type::Bind && !m.source.empty() && m.source[0] != '/')
      m.source = (base / m.source).lexically_normal().string();
  if (spec.wasm)
    for (auto& p : spec.wasm->preopens)
      if (!p.source.empty() && p.source[0] != '/') p.source = (base / p.source).lexically_normal().string();
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::unique_ptr<WasmRuntime> runtime;
  httplib::Server unix_server, tcp_server;
  std::thread tcp_thread;
  std::optional<DataDirLock> lock;
  std::atomic<bool> stopping{false};
  std::atomic<bool> listen_returned{false}, tcp_listen_returned{false};
  Answering answering;

  template <typename F>
  httplib::Server::Handler guarded(F f) {
    return [this, f](const httplib::Request& req, httplib::Response& res) {
      // The servers accept during the shutdown's grace (kAnswerGrace), so
      // that answers under way go out; a new request is refused, not run
      // against a runtime whose instances are gone. Refused here, once its
      // body is read: refused before, the close with the body unread reset
      // the connection, and the client lost the answer (or died of SIGPIPE).
      if (stopping) {
        send_error(res, RuntimeError(RuntimeError::Kind::ShuttingDown,
                                     fmt::format("{} {}: the daemon is shutting down; try again once `wasmlet serve` runs again",
                                                 req.method, req.path)));
        return;
      }
      try {
        f(req, res);
      } catch (const Error& e) {  // a RuntimeError too: its kind gives the status
        send_error(res, e);
      } catch (const json::exception& e) {  // a field of the body with the wrong type
        send_error(res, Error(fmt::format("the request body: {}", e.what()), ErrorCode::InvalidArgument));
      } catch (const std::exception& e) {
        send_error(res, Error(e.what(), ErrorCode::Internal));
      }
    };
  }

  InstanceId id_of(const httplib::Request& req) { return InstanceId::parse(req.matches[1].str()); }

  // How instances are shown: SERVICE-rep-N unless another deployment has one of that name.
  std::string shown(const InstanceId& id) { return display_id(id, runtime->list()); }
  json instance_json(const InstanceInfo& info, const std::vector<InstanceInfo>& all) {
    json j = to_json(info);
    j["id"] = display_id(info.id, all);
    return j;
  }
  // The instance a request names (a short id resolves to its deployment's).
  InstanceId resolved(const httplib::Request& req) { return runtime->inspect(id_of(req)).id; }

  struct Deployment {
    DeploymentSpec spec;
    json warnings = json::array();
  };
  // The deployment document of a request body, its relative paths resolved
  // against base_dir, restricted to `services` when given.
  Deployment deployment_from(const json& body, std::vector<std::string>& only) {
    std::string source = str_field(body, "source", "spec");
    std::string base_dir = str_field(body, "base_dir");
    Deployment d{parse_deployment(str_field(body, "yaml"), source)};
    if (body.contains("services") && !body["services"].is_null() && !body["services"].is_array())
      throw RuntimeError(RuntimeError::Kind::InvalidArgument, "'services' must be a list of names");
    if (body.contains("services") && body["services"].is_array())
      for (const auto& s : body["services"]) {
        if (!s.is_string()) throw RuntimeError(RuntimeError::Kind::InvalidArgument, "'services' must be a list of names");
        only.push_back(s.get<std::string>());
      }
    for (const auto& name : only)
      if (!d.spec.find(name))
        throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("{}: no service '{}' in deployment '{}'", source, name, d.spec.deployment));
    for (auto& spec : d.spec.services) {
      resolve_relative(spec, base_dir);
      if (only.empty() || std::find(only.begin(), only.end(), spec.name) != only.end())
        for (const auto& w : spec.warnings.value) d.warnings.push_back(w);
    }
    return d;
  }

  // Creates (without starting) the instances of a deployment document.
  json create_from(const json& body) {
    std::vector<std::string> only;
    Deployment d = deployment_from(body, only);
    std::optional<uint32_t> replica;
    if (body.contains("replica") && !body["replica"].is_null()) {
      const json& r = body["replica"];
      if (!r.is_number_unsigned() || r.get<uint64_t>() > std::numeric_limits<uint32_t>::max())
        throw RuntimeError(RuntimeError::Kind::InvalidArgument, fmt::format("'replica' must be a replica number (0, 1, ...), got {}", r.dump()));
      replica = r.get<uint32_t>();
    }
    std::vector<InstanceId> ids;
    for (const auto& spec : d.spec.services) {
      if (!only.empty() && std::find(only.begin(), only.end(), spec.name) == only.end()) continue;
      if (replica && *replica >= spec.replicas)
        throw RuntimeError(RuntimeError::Kind::InvalidArgument,
                           fmt::format("service '{}' has {} replica(s) (scale.replicas); there is no replica {}", spec.name, spec.replicas, *replica));
      uint32_t first = replica.value_or(0), last = replica ? *replica + 1 : spec.replicas;
      for (uint32_t r = first; r < last; ++r) {
        InstanceId id{spec.name, r, d.spec.deployment};
        runtime->create(id, spec);
        ids.push_back(id);
      }
    }
    auto all = runtime->list();
    json created = json::array();
    for (const auto& id : ids) created.push_back(display_id(id, all));
    return {{"deployment", d.spec.deployment}, {"created", created}, {"warnings", d.warnings}};
  }

  // `up`: compose_up, one entry per instance with what was done.
  json up_from(const json& body) {
    ComposeOptions options;
    Deployment d = deployment_from(body, options.services);
    auto steps = compose_up(*runtime, d.spec, options);
    auto all = runtime->list();
    json instances = json::array();
    for (const auto& step : steps) {
      json j = {{"id", display_id(step.id, all)}, {"qualified_id", step.id.str()}, {"action", to_string(step.action)}};
      if (step.action == ComposeStep::Action::Failed) j["error"] = step.error;
      instances.push_back(j);
    }
    return {{"deployment", d.spec.deployment}, {"instances", instances}, {"warnings", d.warnings}};
  }

  // start and restart answer once the guest's entry point runs, as `up`
  // does: one that can never start (not a module, no entry point, a port in
  // use) is an error naming why, not an id that looks started.
  void start_and_check(const InstanceId& id) {
    runtime->start(id);
    StartCheck check = runtime->wait_started(id);
    if (!check.entered && check.state.kind == InstanceState::Kind::Failed)
      throw RuntimeError(RuntimeError::Kind::Conflict, fmt::format("{} did not start: {}", shown(id), check.state.reason));
  }

  std::chrono::nanoseconds timeout_param(const httplib::Request& req) {
    if (!req.has_param("timeout")) return std::chrono::seconds(10);
    return parse_duration(req.get_param_value("timeout"));
  }

  // `bearer`: the Authorization header every request must have ("" for none).
  void routes(httplib::Server& s, const std::string& bearer = "") {
    s.set_pre_routing_handler([this, bearer](const httplib::Request& req, httplib::Response& res) {
      answering.begin();
      if (!bearer.empty() && req.get_header_value("Authorization") != bearer) {
        send_error(res, 401, "unauthorized", "missing or wrong bearer token (Authorization: Bearer TOKEN)");
        return httplib::Server::HandlerResponse::Handled;
      }
      return refused_without_length(req, res) ? httplib::Server::HandlerResponse::Handled
                                              : httplib::Server::HandlerResponse::Unhandled;
    });
    s.set_error_handler(json_error_body);
    s.Get("/v1/ping", guarded([](const httplib::Request&, httplib::Response& res) {
      send_json(res, {{"wasmlet", WASMLET_VERSION}, {"api", "v1"}});
    }));
    s.Post("/v1/deployments", guarded([this](const httplib::Request& req, httplib::Response& res) {
      json body = body_json(req);
      send_json(res, body.value("start", true) ? up_from(body) : create_from(body), 201);
    }));
    s.Delete(R"(/v1/deployments/([^/]+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
      bool volumes = req.get_param_value("volumes") == "true" || req.get_param_value("volumes") == "1";
      auto down = compose_down(*runtime, req.matches[1].str(), volumes, timeout_param(req));
      json removed = json::array();
      for (const auto& id : down.removed) removed.push_back(id.str());
      send_json(res, {{"deployment", req.matches[1].str()}, {"removed", removed}, {"volumes_removed", down.volumes_removed},
                      {"volumes_kept", down.volumes_kept}, {"warnings", down.warnings}});
    }));
    s.Post("/v1/instances", guarded([this](const httplib::Request& req, httplib::Response& res) {
      send_json(res, create_from(body_json(req)), 201);
    }));
    s.Get("/v1/instances", guarded([this](const httplib::Request& req, httplib::Response& res) {
      bool all = req.get_param_value("all") == "true" || req.get_param_value("all") == "1";
      std::optional<std::string> deployment;
      if (req.has_param("deployment")) deployment = req.get_param_value("deployment");
      send_json(res, instance_list_json(runtime->list(), all, deployment));
    }));
    s.Get(R"(/v1/instances/([^/]+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
      send_json(res, instance_json(runtime->inspect(id_of(req)), runtime->list()));
    }));
    s.Post(R"(/v1/instances/([^/]+)/start)", guarded([this](const httplib::Request& req, httplib::Response& res) {
      auto id = resolved(req);
      start_and_check(id);
      send_json(res, {{"id", shown(id)}, {"state", to_json(runtime->state(id))}});
    }));
    s.Post(R"(/v1/instances/([^/]+)/stop)", guarded([this](const httplib::Request& req, httplib::Response& res) {
      auto id = resolved(req);
      runtime->stop(id, timeout_param(req));
      send_json(res, {{"id", shown(id)}, {"state", to_json(runtime->state(id))}});
    }));
    // docker restart: stop (SIGTERM, then SIGKILL after the timeout), then start.
    s.Post(R"(/v1/instances/([^/]+)/restart)", guarded([this](const httplib::Request& req, httplib::Response& res) {
      auto id = resolved(req);
      runtime->stop(id, timeout_param(req));
      start_and_check(id);
      send_json(res, {{"id", shown(id)}, {"state", to_json(runtime->state(id))}});
    }));
    s.Post(R"(/v1/instances/([^/]+)/kill)", guarded([this](const httplib::Request& req, httplib::Response& res) {
      auto id = resolved(req);
      std::optional<std::string> sig;
      if (req.has_param("signal")) sig = req.get_param_value("signal");
      runtime->kill(id, sig ? std::optional<std::string_view>(*sig) : std::nullopt);
      send_json(res, {{"id", shown(id)}, {"state", to_json(runtime->state(id))}});
    }));
    s.Delete(R"(/v1/instances/([^/]+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
      auto id = resolved(req);
      std::string name = shown(id);
      runtime->remove(id, req.get_param_value("force") == "true" || req.get_param_value("force") == "1");
      send_json(res, {{"id", name}, {"removed", true}});
    }));
    s.Post(R"(/v1/instances/([^/]+)/wait)", guarded([this](const httplib::Request& req, httplib::Response& res) {
      auto id = id_of(req);
      // Finished already (or unknown, or the runtime is going away): a plain answer.
      if (auto o = runtime->wait_outcome_for(id, std::chrono::nanoseconds(0))) return send_json(res, to_json(*o));
      // Else a stream, so that a client that goes away is noticed: a newline
      // (JSON whitespace) every second while the instance runs, whose failed
      // write ends the wait; then the outcome, or an error object (the 200 is sent by then).
      res.set_chunked_content_provider("application/json", [this, id](size_t, httplib::DataSink& sink) {
        std::string answer;
        try {
          auto o = runtime->wait_outcome(id, [&] { return sink.write("\n", 1); });
          if (!o) return false;  // the client is gone
          answer = json_line(to_json(*o));
        } catch (const RuntimeError& e) {
          answer = json_line(json{{"error", e.what()}, {"kind", to_string(e.kind())}});
        } catch (const std::exception& e) {
          answer = json_line(json{{"error", e.what()}, {"kind", to_string(ErrorCode::Internal)}});
        }
        sink.write(answer.data(), answer.size());
        sink.done();
        return true;
      });
    }));
    s.Get(R"(/v1/instances/([^/]+)/stats)", guarded([this](const httplib::Request& req, httplib::Response& res) {
      send_json(res, to_json(runtime->stats(id_of(req))));
    }));
    s.Get(R"(/v1/instances/([^/]+)/logs)", guarded([this](const httplib::Request& req, httplib::Response& res) {
      auto id = id_of(req);
      LogQuery q;
      if (req.has_param("tail")) {
        const std::string t = req.get_param_value("tail");
        size_t lines = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), lines);
        if (t.empty() || ec != std::errc() || end != t.data() + t.size())
          throw RuntimeError(RuntimeError::Kind::InvalidArgument, fmt::format("tail must be a number of lines, got '{}'", t));
        q.tail = lines;
      }
      if (req.has_param("since")) q.since = parse_time(req.get_param_value("since"));
      bool follow = req.get_param_value("follow") == "true" || req.get_param_value("follow") == "1";
      runtime->inspect(id);  // 404 now rather than inside the stream
      // Either way the answer is streamed as the files are read, a chunk at a
      // time: a `logs` of a 40 MiB log held it whole, then again as its
      // answer. A failure once the 200 has gone (the runtime shutting down)
      // is the stream's last line, {"error", "kind"}, which the CLI reports.
      auto fail_line = [](const std::exception& e) {
        const auto* re = dynamic_cast<const RuntimeError*>(&e);
        return json_line(json{{"error", e.what()}, {"kind", re ? to_string(re->kind()) : to_string(ErrorCode::Internal)}});
      };
      if (!follow) {
        res.set_chunked_content_provider("application/x-ndjson", [this, id, q, fail_line](size_t, httplib::DataSink& sink) {
          std::string out;  // lines go out about 64 KiB at a time
          bool open = true;
          try {
            runtime->read_logs(id, q, [&](const LogEntry& e) {
              out += json_line(to_json(e));
              if (out.size() >= 64 * 1024) {
                open = sink.write(out.data(), out.size());
                out.clear();
              }
              return open;
            });
          } catch (const std::exception& e) {
            out += fail_line(e);
          }
          if (open && !out.empty()) sink.write(out.data(), out.size());
          sink.done();
          return true;
        });
        return;
      }
      res.set_chunked_content_provider("application/x-ndjson", [this, id, q, fail_line](size_t, httplib::DataSink& sink) {
        try {
          // An empty line (clients skip it) after each quiet second: a failed
          // write ends the follow of a client that went away.
          runtime->follow_logs(
              id, q,
              [&](const LogEntry& e) {
                std::string line = json_line(to_json(e));
                return sink.write(line.data(), line.size());
              },
              [&] { return sink.write("\n", 1); });
        } catch (const std::exception& e) {
          // Refused as it began (the shutdown began after the check above):
          // the client must not take the empty stream for an ended instance.
          const std::string line = fail_line(e);
          sink.write(line.data(), line.size());
        }
        sink.done();
        return true;
      });
    }));
    s.Post(R"(/v1/instances/([^/]+)/exec)", guarded([this](const httplib::Request& req, httplib::Response& res) {
      auto id = id_of(req);
      json body = body_json(req);
      std::vector<std::string> cmd;
      if (body.contains("cmd") && body["cmd"].is_array())
        for (const auto& a : body["cmd"]) cmd.push_back(a.get<std::string>());
      if (cmd.empty()) throw RuntimeError(RuntimeError::Kind::InvalidArgument, "exec needs a command (\"cmd\": [...])");
      // As docker: an exec joins a running instance (the runtime checks again as it starts).
      if (auto info = runtime->inspect(id); info.state.kind != InstanceState::Kind::Running) {
        const std::string name = shown(info.id);
        throw RuntimeError(RuntimeError::Kind::Conflict, fmt::format("instance {} is not running ({}); start it first: wasmlet start {}",
                                                                     name, info.state.to_string(), name));
      }
      res.set_chunked_content_provider("application/x-ndjson", [this, id, cmd](size_t, httplib::DataSink& sink) {
        // The exec ends when its client goes away: a guest with nothing to
        // say would otherwise run on unseen, so an empty line (which clients
        // skip) goes out every second while it runs, and a failed write
        // interrupts the guest.
        ExecCancel cancel;
        std::mutex sink_mu;
        std::condition_variable ended_cv;
        bool open = true, ended = false;
        auto send = [&](const std::string& line) {
          std::lock_guard lock(sink_mu);
          if (open) open = sink.write(line.data(), line.size());
          if (!open) cancel.cancel();
        };
        auto emit = [&](const json& j) { send(json_line(j)); };
        std::thread heartbeat([&] {
          std::unique_lock lock(sink_mu);
          while (!ended_cv.wait_for(lock, std::chrono::seconds(1), [&] { return ended; })) {
            lock.unlock();
            send("\n");
            lock.lock();
          }
        });
        // Before the stream's end is written (and on any way out).
        struct EndHeartbeat {
          std::mutex& mu;
          std::condition_variable& cv;
          bool& ended;
          std::thread& thread;
          void now() {
            {
              std::lock_guard lock(mu);
              ended = true;
            }
            cv.notify_all();
            if (thread.joinable()) thread.join();
          }
          ~EndHeartbeat() { now(); }
        } end_heartbeat{sink_mu, ended_cv, ended, heartbeat};
        try {
          runtime->exec_stream(id, cmd, [&](const ExecEvent& e) { emit(to_json(e)); }, &cancel);
        } catch (const Error& e) {
          emit({{"error", e.what()}, {"kind", error_kind(e)}});
          emit({{"exit", 126}});
        } catch (const std::exception& e) {
          emit({{"error", e.what()}, {"kind", "internal"}});
          emit({{"exit", 126}});
        }
        end_heartbeat.now();
        sink.done();
        return true;
      });
    }));
    s.Get("/v1/images", guarded([this](const httplib::Request&, httplib::Response& res) {
      json out = json::array();
      for (const auto& i : runtime->list_images()) out.push_back(to_json(i));
      send_json(res, out);
    }));
    // Which instances (recorded ones too: they may run again) name the image; `wasmlet rmi` asks before removing it.
    s.Get("/v1/images/users", guarded([this](const httplib::Request& req, httplib::Response& res) {
      std::string ref = req.get_param_value("reference");
      if (ref.empty()) throw RuntimeError(RuntimeError::Kind::InvalidArgument, "/v1/images/users needs ?reference=IMAGE");
      // A module file's path as it is; a malformed reference is a 400 naming the bad part.
      std::string normalized = registry::ImageStore::stored_name(ref);
      json ids = json::array();
      auto infos = runtime->list();
      for (const auto& info : infos)
        if (names_same_image(info.image, ref)) ids.push_back(display_id(info.id, infos));
      send_json(res, {{"reference", normalized}, {"instances", ids}});
    }));
    s.Post("/v1/images/pull", guarded([this](const httplib::Request& req, httplib::Response& res) {
      json body = body_json(req);
      std::string ref = str_field(body, "reference");
      PullPolicy policy = parse_pull_policy(str_field(body, "pull_policy", "always"));
      std::optional<RegistryAuth> auth;
      if (body.contains("auth") && body["auth"].is_object())
        auth = RegistryAuth{body["auth"].value("username", ""), body["auth"].value("password", ""), body["auth"].value("token", "")};
      runtime->pull(ref, policy, auth);
      send_json(res, {{"reference", ref}, {"pulled", true}});
    }));
    s.Post("/v1/images/tag", guarded([this](const httplib::Request& req, httplib::Response& res) {
      json body = body_json(req);
      runtime->tag_image(str_field(body, "source"), str_field(body, "target"));
      send_json(res, {{"tagged", true}});
    }));
    s.Delete("/v1/images", guarded([this](const httplib::Request& req, httplib::Response& res) {
      runtime->remove_image(req.get_param_value("reference"), req.get_param_value("force") == "true");
      send_json(res, {{"removed", true}});
    }));
    s.Post("/v1/images/prune", guarded([this](const httplib::Request&, httplib::Response& res) {
      send_json(res, to_json(runtime->prune_images()));
    }));
    s.set_keep_alive_max_count(1);
    s.set_read_timeout(30, 0);
    s.set_write_timeout(30, 0);
    s.new_task_queue = [this] { return new ThreadPerConnection(answering); };
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>()) { impl_->options = std::move(options); }

Server::~Server() {
  stop();
  if (impl_->tcp_thread.joinable()) impl_->tcp_thread.join();
}

void Server::stop() {
  if (impl_->stopping.exchange(true)) return;
  if (impl_->runtime) impl_->runtime->shutdown();  // wakes long waits and follows first
  // Their last lines (and any other answer under way) go out before the
  // connections are cut; the servers accept meanwhile, as a stream not yet
  // begun is skipped by a stopped httplib server (its 200 sent, no end).
  if (!impl_->answering.wait_all(kAnswerGrace))
    std::cerr << fmt::format("wasmlet: answers still being sent after {} s of shutdown; cutting their connections\n",
                             std::chrono::duration_cast<std::chrono::seconds>(kAnswerGrace).count());
  impl_->unix_server.stop();
  impl_->tcp_server.stop();
  // Connections waiting for a request, or stuck on a client that reads
  // nothing, would hold the exit for up to 30 s.
  shut_down_connections(impl_->options.socket, impl_->options.tcp_port);
}

void Server::run(bool handle_signals) {
  auto& o = impl_->options;
  prepare_data_dir(o.data_dir);
  impl_->lock = DataDirLock::try_acquire(o.data_dir);
  if (!impl_->lock)
    throw Error(fmt::format("another wasmlet daemon is using the data dir '{}' (lock '{}')", o.data_dir.string(),
                            DataDirLock::file(o.data_dir).string()));
  if (o.socket.string().size() >= sizeof(sockaddr_un{}.sun_path))
    throw Error(fmt::format("the socket path '{}' is too long for a Unix socket (at most {} bytes)", o.socket.string(),
                            sizeof(sockaddr_un{}.sun_path) - 1));
  claim_socket_path(o.socket);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  if (handle_signals) pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // every thread started from here inherits it
  ::signal(SIGPIPE, SIG_IGN);

  impl_->routes(impl_->unix_server);
  impl_->unix_server.set_address_family(AF_UNIX);
  mode_t old = ::umask(0177);  // the socket is created 0600
  bool bound = impl_->unix_server.bind_to_port(o.socket.string(), 80);
  ::umask(old);
  if (!bound) throw Error(fmt::format("cannot listen on the Unix socket '{}'", o.socket.string()));
  ::chmod(o.socket.c_str(), 0600);
  // Which file is ours: at exit the path is removed only if it still is.
  struct stat ours {};
  const bool have_ours = ::stat(o.socket.c_str(), &ours) == 0;

  if (o.tcp_port) {
    if (o.token.empty()) throw Error("--listen needs a bearer token (--token-file)");
    impl_->routes(impl_->tcp_server, "Bearer " + o.token);
    if (!impl_->tcp_server.bind_to_port("127.0.0.1", *o.tcp_port))
      throw Error(fmt::format("cannot listen on 127.0.0.1:{}", *o.tcp_port));
  }

  WasmRuntimeConfig runtime_config;
  runtime_config.data_dir = o.data_dir;
  runtime_config.tier = o.tier;
  impl_->runtime = std::make_unique<WasmRuntime>(std::move(runtime_config));

  std::thread signal_thread;
  int wake_pipe[2] = {-1, -1};
  if (handle_signals) {
    signal_thread = std::thread([this, signals, &o] {
      int sig = 0;
      sigwait(&signals, &sig);
      if (sig != SIGTERM && sig != SIGINT) return;
      // httplib's stop() does nothing to a listener that has not begun to
      // run, which would then accept forever: a SIGTERM right after "serving
      // on" waits (briefly) for it.
      auto unix_ready = [&] { return impl_->unix_server.is_running() || impl_->listen_returned; };
      auto tcp_ready = [&] { return !o.tcp_port || impl_->tcp_server.is_running() || impl_->tcp_listen_returned; };
      while (!unix_ready() || !tcp_ready()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      stop();
    });
  }
  if (o.tcp_port)
    impl_->tcp_thread = std::thread([this] {
      impl_->tcp_server.listen_after_bind();
      impl_->tcp_listen_returned = true;
    });
  std::cerr << fmt::format("wasmlet: serving on {}{} (data dir {})\n", o.socket.string(),
                           o.tcp_port ? fmt::format(" and 127.0.0.1:{}", *o.tcp_port) : "", o.data_dir.string());
  impl_->unix_server.listen_after_bind();
  impl_->listen_returned = true;
  stop();
  if (handle_signals) {
    // Wake the signal thread if it is still waiting.
    if (signal_thread.joinable()) {
      pthread_kill(signal_thread.native_handle(), SIGTERM);
      signal_thread.join();
    }
  }
  (void)wake_pipe;
  if (impl_->tcp_thread.joinable()) impl_->tcp_thread.join();
  impl_->runtime.reset();
  struct stat now {};
  if (have_ours && ::lstat(o.socket.c_str(), &now) == 0 && now.st_dev == ours.st_dev && now.st_ino == ours.st_ino)
    ::unlink(o.socket.c_str());
}

}  // namespace wasmlet::server
