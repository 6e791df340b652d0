#include "api_json.h"

#include "util/utf8.h"
#include "wasmlet/registry/auth.h"

namespace wasmlet::server {

using namespace wasmlet::runtime;

json to_json(const InstanceState& s) {
  json j = {{"status", s.name()}, {"text", s.to_string()}};
  if (s.kind == InstanceState::Kind::Exited) j["exit_code"] = s.code;
  if (s.kind == InstanceState::Kind::Failed) j["reason"] = s.reason;
  return j;
}

json to_json(const WaitOutcome& o) {
  json j = {{"exit_code", o.exit_code}, {"reason", to_string(o.reason)}, {"signal", nullptr}, {"finished_at", nullptr}};
  if (o.signal) j["signal"] = *o.signal;
  if (o.finished_at) j["finished_at"] = format_time(*o.finished_at);
  return j;
}

std::string display_id(const InstanceId& id, const std::vector<InstanceInfo>& all) {
  for (const auto& other : all)
    if (other.id.short_str() == id.short_str() && other.id.deployment != id.deployment) return id.str();
  return id.short_str();
}

json to_json(const InstanceInfo& i) {
  json j = {{"id", i.id.str()},
            {"qualified_id", i.id.str()},
            {"deployment", i.id.deployment},
            {"service", i.id.service},
            {"replica", i.id.replica},
            {"image", i.image},
            {"module_digest", i.module_digest ? json(*i.module_digest) : json(nullptr)},
            {"state", to_json(i.state)},
            {"outcome", i.outcome ? to_json(*i.outcome) : json(nullptr)},
            {"created_at", format_time(i.created_at)},
            {"started_at", i.started_at ? json(format_time(*i.started_at)) : json(nullptr)},
            {"restart_count", i.restart_count},
            {"restarting", i.restarting},
            {"health", {{"status", i.health.status}, {"failing_streak", i.health.failing_streak},
                        {"last_output", i.health.last_output ? json(*i.health.last_output) : json(nullptr)}}},
            {"pid", nullptr},
            {"ip", "127.0.0.1"},
            {"mounts", i.mounts},
            {"warnings", i.warnings},
            {"spec", i.spec_yaml}};
  return j;
}

json to_json(const LogEntry& e) {
  return {{"timestamp", format_time(e.timestamp)}, {"stream", to_string(e.stream)}, {"message", e.message}};
}

json to_json(const InstanceStats& s) {
  return {{"cpu_usage_usec", s.cpu_usage_usec}, {"memory_bytes", s.memory_bytes}, {"memory_limit", s.memory_limit},
          {"fuel_consumed", s.fuel_consumed},   {"restart_count", s.restart_count}, {"timestamp", format_time(s.timestamp)}};
}

json to_json(const ImageRecord& i) {
  return {{"reference", i.reference}, {"digest", i.manifest.digest}, {"size_bytes", i.size},
          {"wasi_version", i.wasi_version}, {"kind", i.kind}};
}

json to_json(const PruneResult& p) {
  return {{"untagged", p.untagged}, {"deleted", p.deleted}, {"space_reclaimed", p.space_reclaimed}};
}

json to_json(const ExecEvent& e) {
  if (e.kind == ExecEvent::Kind::Exit) return {{"exit", e.exit_code}};
  const std::string stream = e.kind == ExecEvent::Kind::Stdout ? "stdout" : "stderr";
  if (util::valid_utf8(e.data)) return {{stream, e.data}};
  return {{stream + "_base64", registry::base64_encode(e.data)}};
}

std::string json_line(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

WaitOutcome outcome_from_json(const json& j) {
  WaitOutcome o;
  o.exit_code = j.at("exit_code").get<int>();
  o.reason = wait_reason_from_string(j.at("reason").get<std::string>());
  if (j.contains("signal") && j["signal"].is_string()) o.signal = j["signal"].get<std::string>();
  if (j.contains("finished_at") && j["finished_at"].is_string()) o.finished_at = parse_time(j["finished_at"].get<std::string>());
  return o;
}

LogEntry log_entry_from_json(const json& j) {
  LogEntry e;
  e.timestamp = parse_time(j.at("timestamp").get<std::string>());
  e.stream = j.value("stream", "stdout") == "stderr" ? LogStream::Stderr : LogStream::Stdout;
  e.message = j.value("message", "");
  return e;
}

ExecEvent exec_event_from_json(const json& j) {
  if (j.contains("stdout")) return {ExecEvent::Kind::Stdout, j["stdout"].get<std::string>(), 0};
  if (j.contains("stderr")) return {ExecEvent::Kind::Stderr, j["stderr"].get<std::string>(), 0};
  if (j.contains("stdout_base64"))
    return {ExecEvent::Kind::Stdout, registry::base64_decode(j["stdout_base64"].get<std::string>()), 0};
  if (j.contains("stderr_base64"))
    return {ExecEvent::Kind::Stderr, registry::base64_decode(j["stderr_base64"].get<std::string>()), 0};
  return {ExecEvent::Kind::Exit, {}, j.value("exit", 1)};
}

json instance_list_json(const std::vector<runtime::InstanceInfo>& instances, bool all, const std::optional<std::string>& deployment) {
  json out = json::array();
  for (const auto& info : instances)
    if ((all || info.state.active() || info.state.kind == runtime::InstanceState::Kind::Pending) &&
        (!deployment || info.id.deployment == *deployment)) {
      json j = to_json(info);
      j["id"] = display_id(info.id, instances);
      out.push_back(j);
    }
  return out;
}

}  // namespace wasmlet::server
