// libcurl transport with retries and backoff.
#include "wasmlet/registry/http_transport.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <thread>

#include "wasmlet/registry/registry_error.h"

namespace wasmlet::registry {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  const HttpRequest* request;
  HttpResponse* response;
  CURL* curl;
  const std::atomic<bool>* cancel;
  std::size_t sent = 0;
  bool cancelled = false;
  bool aborted = false;
  bool too_large = false;  // the body passed request->max_body_bytes
};

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    t->response->headers.clear();  // a new response (redirect, 100-continue)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    t->response->headers.emplace(std::move(name), std::string(value));
  }
  return size * n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->request->sink && status >= 200 && status < 300) {
    if (!t->request->sink(data, size * n)) {
      t->aborted = true;
      return 0;
    }
  } else {
    if (t->response->body.size() + size * n > t->request->max_body_bytes) {
      t->too_large = true;
      return 0;
    }
    t->response->body.append(data, size * n);
  }
  return size * n;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t left = t->request->body.size() - t->sent;
  std::size_t count = std::min(left, size * n);
  std::memcpy(buffer, t->request->body.data() + t->sent, count);
  t->sent += count;
  return count;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->cancel && t->cancel->load()) {
    t->cancelled = true;
    return 1;  // ends curl_easy_perform with CURLE_ABORTED_BY_CALLBACK
  }
  if (t->request->progress && dlnow > 0) t->request->progress(static_cast<std::uint64_t>(dlnow), static_cast<std::uint64_t>(dltotal));
  return 0;
}

bool retryable(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string{} : it->second;
}

std::chrono::milliseconds TransferDeadline::for_bytes(std::uint64_t bytes) const {
  std::uint64_t rate = std::max<std::uint64_t>(slowest_bytes_per_second, 1);
  bytes = std::min<std::uint64_t>(bytes, std::uint64_t{1} << 40);  // a descriptor's size is the registry's choice
  return base + std::chrono::milliseconds(bytes / rate * 1000 + bytes % rate * 1000 / rate);
}

HttpTransport::HttpTransport(RetryPolicy retry, TransferDeadline deadline, const std::atomic<bool>* cancel)
    : retry_(retry), deadline_(deadline), cancel_(cancel) {
  global_init();
}

HttpResponse HttpTransport::perform(const HttpRequest& request) const {
  auto backoff = retry_.initial_backoff;
  std::string last_error;
  auto cancelled_error = [&] { return RegistryError(fmt::format("{} {}: the transfer was cancelled", request.method, request.url)); };
  for (int attempt = 1;; ++attempt) {
    if (cancelled()) throw cancelled_error();
    if (request.on_attempt) request.on_attempt();
    HttpResponse response;
    CURL* curl = curl_easy_init();
    if (!curl) throw RegistryError("libcurl: curl_easy_init failed");
    Transfer t{&request, &response, curl, cancel_};
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    auto deadline = deadline_.for_bytes(request.body.size() + (request.sink ? request.expected_bytes : request.max_body_bytes));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(deadline.count()));
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, request.progress || cancel_ ? 0L : 1L);
    if (request.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(curl, CURLOPT_READDATA, &t);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      headers = curl_slist_append(headers, "Expect:");
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    auto started = std::chrono::steady_clock::now();
    CURLcode code = curl_easy_perform(curl);
    // libcurl's timeout and this measure of it can disagree by a few ms
    // (libcurl reads its own clock): a timeout this close to the deadline is
    // the deadline's. An exact compare sometimes found a transfer libcurl had
    // stopped at the deadline short of it, took it for a stalled connect and
    // tried again, holding the caller twice as long.
    const auto slack = std::max<std::chrono::milliseconds>(deadline / 100, std::chrono::milliseconds(50));
    bool past_deadline = std::chrono::steady_clock::now() - started + slack >= deadline;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    if (code == CURLE_OK) {
      bool server_error = response.status >= 500 && response.status != 501 && response.status != 505;
      if (!server_error || attempt >= retry_.max_attempts) return response;
      last_error = fmt::format("HTTP {}", response.status);
    } else {
      if (t.cancelled) throw cancelled_error();
      if (t.aborted) throw RegistryError(fmt::format("{} {}: transfer aborted", request.method, request.url));
      if (t.too_large)
        throw RegistryError(fmt::format("{} {}: the response is larger than {} bytes; stopped there", request.method,
                                        request.url, request.max_body_bytes));
      last_error = errbuf[0] ? errbuf : curl_easy_strerror(code);
      // Not retried: another attempt would hold the caller (and its locks) as long again.
      if (code == CURLE_OPERATION_TIMEDOUT && past_deadline)
        throw RegistryError(fmt::format("{} {}: no complete answer within the deadline of {} s ({})", request.method, request.url,
                                        std::chrono::duration_cast<std::chrono::seconds>(deadline).count(), last_error),
                            ErrorCode::LimitExceeded);
      if (!retryable(code) || attempt >= retry_.max_attempts)
        throw RegistryError(fmt::format("{} {} failed after {} attempt{}: {}", request.method, request.url, attempt,
                                        attempt == 1 ? "" : "s", last_error));
    }
    // The backoff in short naps, so that a cancel ends it too.
    for (auto slept = std::chrono::milliseconds(0); slept < backoff && !cancelled(); slept += std::chrono::milliseconds(50))
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(std::chrono::milliseconds(50), backoff - slept));
    backoff *= 2;
  }
}

}  // namespace wasmlet::registry
