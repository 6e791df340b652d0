// The daemon API's JSON shapes for the runtime's types (docs/api.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wasmlet/runtime/runtime.h"

namespace wasmlet::server {

using nlohmann::json;

json to_json(const runtime::InstanceState& s);
json to_json(const runtime::WaitOutcome& o);
// "id" is the qualified id (DEPLOYMENT.SERVICE-rep-N); the server shows display_id instead.
json to_json(const runtime::InstanceInfo& i);
// GET /v1/instances: running, stopping and created ones; `all` adds finished
// ones; `deployment` keeps only that deployment's. Ids as display_id shows them.
json instance_list_json(const std::vector<runtime::InstanceInfo>& instances, bool all,
                        const std::optional<std::string>& deployment = std::nullopt);
// How an instance is shown: "SERVICE-rep-N" when no other deployment in `all`
// has an instance of that name, else "DEPLOYMENT.SERVICE-rep-N".
std::string display_id(const runtime::InstanceId& id, const std::vector<runtime::InstanceInfo>& all);
json to_json(const runtime::LogEntry& e);
json to_json(const runtime::InstanceStats& s);
json to_json(const runtime::ImageRecord& i);
json to_json(const runtime::PruneResult& p);
// {"stdout": TEXT} when the bytes are UTF-8, else {"stdout_base64": BASE64}
// (a guest writes bytes, and a UTF-8 character may end in its next write);
// the same for stderr, and {"exit": CODE}.
json to_json(const runtime::ExecEvent& e);

// One JSON text and a newline, as every response and stream line is sent.
// Text that is not UTF-8 (guest output in a log, a name in a request) shows
// U+FFFD where it is bad instead of failing the whole response.
std::string json_line(const json& j);

runtime::WaitOutcome outcome_from_json(const json& j);
runtime::LogEntry log_entry_from_json(const json& j);
runtime::ExecEvent exec_event_from_json(const json& j);

}  // namespace wasmlet::server
