// wasmlet.http_request over libcurl. Denied unless the plugin holds the
// network capability, and then only to its allowed hosts (if any are listed).
#include "plugin/http_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "util/printable.h"

namespace wasmlet::plugin {
namespace {

// The guest's URL, method, host or header name as a reason quotes it: at most
// about 200 printable characters, then "..." and the full length. A reason
// goes into the host's log and error messages, and the guest controls the
// request (up to max_output_bytes): 20,000 denied calls with a 60 KB URL
// made gigabytes of them.
constexpr size_t kShown = 200;
std::string shown(std::string_view text) {
  std::string out = util::printable(text, kShown);
  if (text.size() > kShown) out += fmt::format(" ({} bytes)", text.size());
  return out;
}

struct Body {
  std::string data;
  uint64_t limit;
  bool too_large = false;
};

size_t on_body(char* ptr, size_t size, size_t n, void* user) {
  auto* b = static_cast<Body*>(user);
  size_t bytes = size * n;
  if (b->data.size() + bytes > b->limit) {
    b->too_large = true;
    return 0;  // aborts the transfer
  }
  b->data.append(ptr, bytes);
  return bytes;
}

size_t on_header(char* ptr, size_t size, size_t n, void* user) {
  auto* headers = static_cast<nlohmann::json*>(user);
  std::string line(ptr, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string key = line.substr(0, colon);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    auto b = value.find_first_not_of(" \t"), e = value.find_last_not_of(" \t\r\n");
    (*headers)[key] = b == std::string::npos ? "" : value.substr(b, e - b + 1);
  }
  return size * n;
}

std::string url_host(const std::string& url) {
  CURLU* u = curl_url();
  std::string host;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* h = nullptr;
    if (curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h) {
      host = h;
      curl_free(h);
    }
  }
  curl_url_cleanup(u);
  return host;
}

// The URL's port, or the scheme's default (80, 443).
std::string url_port(const std::string& url) {
  CURLU* u = curl_url();
  std::string port;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* p = nullptr;
    if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK && p) {
      port = p;
      curl_free(p);
    }
  }
  curl_url_cleanup(u);
  return port;
}

// A host for comparing: without IPv6 brackets, lower case, an IPv6 address
// in its canonical form ("0:0::1" is "::1").
std::string normal_host(std::string_view h) {
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::string s(h);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  in6_addr a{};
  char text[INET6_ADDRSTRLEN];
  if (s.find(':') != std::string::npos && inet_pton(AF_INET6, s.c_str(), &a) == 1 &&
      inet_ntop(AF_INET6, &a, text, sizeof text))
    s = text;
  return s;
}

}  // namespace

bool http_host_allowed(const std::vector<std::string>& allowed, std::string_view host, std::string_view port) {
  const std::string wanted = normal_host(host);
  return std::any_of(allowed.begin(), allowed.end(), [&](std::string_view entry) {
    std::string_view entry_host = entry, entry_port;
    if (entry.starts_with('[')) {  // "[v6]" or "[v6]:port"
      const size_t close = entry.find(']');
      if (close == std::string_view::npos) return false;
      entry_host = entry.substr(0, close + 1);
      std::string_view rest = entry.substr(close + 1);
      if (!rest.empty()) {
        if (rest.front() != ':' || rest.size() == 1) return false;
        entry_port = rest.substr(1);
      }
    } else if (const size_t colon = entry.find(':');
               colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
      entry_host = entry.substr(0, colon);  // "name:port", "v4:port"; two colons or more: a bare IPv6 address
      entry_port = entry.substr(colon + 1);
    }
    return normal_host(entry_host) == wanted && (entry_port.empty() || entry_port == port);
  });
}

namespace {

// curl_easy_perform, but through a multi handle that also waits on the
// store's interrupt eventfd: Plugin::interrupt_all() ends a request that is
// waiting for a slow server at once, not when it times out. Sets
// `*interrupted` when that is why it ended.
CURLcode perform(CURL* c, const Store* store, bool* interrupted, std::string* multi_error) {
  if (!store) return curl_easy_perform(c);
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(), curl_multi_cleanup);
  if (!multi) return CURLE_OUT_OF_MEMORY;
  CURLM* m = multi.get();
  if (CURLMcode mc = curl_multi_add_handle(m, c); mc != CURLM_OK) {
    *multi_error = curl_multi_strerror(mc);
    return CURLE_FAILED_INIT;
  }
  int wake = -1;
  try {
    wake = store->interrupt_fd();
  } catch (const std::exception&) {
    // No eventfd: the flag is checked at least every 100 ms instead.
  }
  CURLcode rc = CURLE_OK;
  for (;;) {
    if (store->interrupt_requested()) {
      *interrupted = true;
      rc = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    int running = 0;
    CURLMcode mc = curl_multi_perform(m, &running);
    if (mc == CURLM_OK && !running) {
      int left = 0;
      rc = CURLE_RECV_ERROR;  // no result reported: should not happen
      while (CURLMsg* msg = curl_multi_info_read(m, &left))
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == c) rc = msg->data.result;
      break;
    }
    curl_waitfd extra{wake, CURL_WAIT_POLLIN, 0};
    if (mc == CURLM_OK) mc = curl_multi_poll(m, wake >= 0 ? &extra : nullptr, wake >= 0 ? 1 : 0, wake >= 0 ? 1000 : 100, nullptr);
    if (mc != CURLM_OK) {
      *multi_error = curl_multi_strerror(mc);
      rc = CURLE_FAILED_INIT;
      break;
    }
  }
  curl_multi_remove_handle(m, c);
  return rc;
}

}  // namespace

bool http_method_valid(std::string_view method) {
  if (method.empty() || method.size() > kMaxHttpMethod) return false;
  return std::all_of(method.begin(), method.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

HttpResult http_request(const Capabilities& caps, std::string_view request_json, uint64_t max_response_bytes,
                        std::chrono::nanoseconds timeout, const Store* store) {
  nlohmann::json req;
  if (const size_t nul = request_json.find('\0'); nul != std::string_view::npos)  // the parser would stop there
    return {HttpStatus::BadRequest, fmt::format("http_request: the request is not valid JSON: byte {} is a NUL", nul)};
  try {
    req = nlohmann::json::parse(request_json);
  } catch (const std::exception& e) {
    return {HttpStatus::BadRequest, fmt::format("http_request: the request is not valid JSON: {}", e.what())};
  }
  if (!req.is_object() || !req.contains("url") || !req["url"].is_string()) {
    return {HttpStatus::BadRequest, "http_request: the request needs a \"url\" string"};
  }
  if (req.contains("method") && !req["method"].is_string())
    return {HttpStatus::BadRequest, "http_request: \"method\" must be a string, such as \"GET\""};
  std::string url = req["url"];
  std::string method = req.value("method", std::string("GET"));
  // curl writes the method into the request line as it is.
  if (!http_method_valid(method))
    return {HttpStatus::BadRequest,
            fmt::format("http_request: method '{}' is not an HTTP token (1 to {} letters, digits or !#$%&'*+-.^_`|~)",
                        shown(method), kMaxHttpMethod)};
  // A CR, LF or NUL in a header would end it early or start another one.
  if (req.contains("headers") && req["headers"].is_object())
    for (auto& [k, v] : req["headers"].items())
      if (k.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos ||
          (v.is_string() && v.get<std::string>().find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos))
        return {HttpStatus::BadRequest, fmt::format("http_request: header '{}' holds a line break or NUL", shown(k))};
  if (!caps.network) {
    return {HttpStatus::Denied,
            fmt::format("http_request {} {} denied: the plugin has no network capability", shown(method), shown(url))};
  }
  std::string host = url_host(url);
  if (host.empty()) return {HttpStatus::BadRequest, fmt::format("http_request: cannot parse the URL '{}'", shown(url))};
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return {HttpStatus::Denied, fmt::format("http_request {} denied: only http and https URLs are allowed", shown(url))};
  }
  if (!caps.allowed_hosts.empty() && !http_host_allowed(caps.allowed_hosts, host, url_port(url))) {
    return {HttpStatus::Denied, fmt::format("http_request {} {} denied: host '{}' is not in the plugin's allowed hosts ({})",
                                            shown(method), shown(url), shown(host), fmt::join(caps.allowed_hosts, ", "))};
  }

  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return {HttpStatus::Failed, "http_request: cannot create a curl handle"};
  CURL* c = curl.get();
  Body body{{}, max_response_bytes};
  nlohmann::json headers = nlohmann::json::object();
  curl_slist* req_headers = nullptr;
  if (req.contains("headers") && req["headers"].is_object()) {
    for (auto& [k, v] : req["headers"].items()) {
      if (v.is_string()) req_headers = curl_slist_append(req_headers, (k + ": " + v.get<std::string>()).c_str());
    }
  }
  std::string payload = req.contains("body") && req["body"].is_string() ? req["body"].get<std::string>() : "";
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  // No timeout (PluginLimits::timeout 0): no limit, as for the guest's own code.
  if (timeout.count() > 0)
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, std::chrono::ceil<std::chrono::milliseconds>(timeout).count())));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &headers);
  if (req_headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, req_headers);
  if (!payload.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  }
  bool interrupted = false;
  std::string multi_error;
  CURLcode rc = perform(c, store, &interrupted, &multi_error);
  curl_slist_free_all(req_headers);
  if (interrupted) {
    HttpResult r{HttpStatus::Failed, fmt::format("http_request {} {}: interrupted", shown(method), shown(url))};
    r.interrupted = true;
    return r;
  }
  if (!multi_error.empty())
    return {HttpStatus::Failed, fmt::format("http_request {} {}: {}", shown(method), shown(url), multi_error)};
  if (body.too_large)
    return {HttpStatus::Failed, fmt::format("http_request {}: the response exceeds {} bytes", shown(url), max_response_bytes)};
  if (rc != CURLE_OK)
    return {HttpStatus::Failed, fmt::format("http_request {} {}: {}", shown(method), shown(url), curl_easy_strerror(rc))};
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  // Invalid UTF-8 in the body is replaced so the response stays valid JSON.
  nlohmann::json res = {{"status", code}, {"headers", headers}, {"body", body.data}};
  return {HttpStatus::Ok, res.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

}  // namespace wasmlet::plugin
