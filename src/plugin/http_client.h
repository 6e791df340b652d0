// wasmlet.http_request: one HTTP request with libcurl, described and answered
// in JSON, gated by the network capability and its allowed hosts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wasmlet/plugin.h"
#include "wasmlet/store.h"

namespace wasmlet::plugin {

enum class HttpStatus : int32_t { Ok = 0, Denied = 1, Failed = 2, BadRequest = 3 };

struct HttpResult {
  HttpStatus status;
  std::string body;  // the response JSON {status, headers, body} or the reason
  bool interrupted = false;  // `store` was interrupted during the transfer (status Failed)
};

// Longest method http_request accepts.
inline constexpr size_t kMaxHttpMethod = 32;

// An RFC 9110 token (tchar: letters, digits, !#$%&'*+-.^_`|~) of 1 to
// kMaxHttpMethod characters: what a request line's method may be. Anything
// else (a space, CR/LF) would let the guest write its own request line.
bool http_method_valid(std::string_view method);

// Whether `host` (as curl gives a URL's host: an IPv6 address in brackets)
// and `port` (the URL's, or the scheme's default) match an allowed entry:
// "host" (any port) or "host:port"; an IPv6 address with or without
// brackets ("[::1]", "::1", which is what CLI11 leaves of "[::1]"), with a
// port only in brackets ("[::1]:8080"). Names are compared without regard
// to case, IPv6 addresses in their canonical form.
bool http_host_allowed(const std::vector<std::string>& allowed, std::string_view host, std::string_view port);

// `request_json`: {"method": "GET", "url": "...", "headers": {...}, "body": "..."}.
// `timeout`: for the whole request; zero or less means none. `store`, if
// given: its interrupt() (Plugin::interrupt_all) ends the transfer at once.
HttpResult http_request(const Capabilities& caps, std::string_view request_json, uint64_t max_response_bytes,
                        std::chrono::nanoseconds timeout, const Store* store = nullptr);

}  // namespace wasmlet::plugin
