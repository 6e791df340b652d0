// Names, parsing and time formatting for the runtime's value types.
#include "wasmlet/runtime/types.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>

#include "util/printable.h"
#include "wasmlet/duration.h"
#include "wasmlet/store.h"


namespace wasmlet::runtime {

std::string InstanceId::short_str() const { return fmt::format("{}-rep-{}", service, replica); }

std::string InstanceId::str() const { return deployment.empty() ? short_str() : deployment + "." + short_str(); }

InstanceId InstanceId::parse(std::string_view text) {
  auto bad = [&](const char* why) {
    return RuntimeError(RuntimeError::Kind::InvalidArgument,
                        fmt::format("invalid instance id '{}': {} (expected [DEPLOYMENT.]SERVICE-rep-N, e.g. web-rep-0 or shop.web-rep-0)",
                                    util::printable(text), why));
  };
  std::string_view deployment;
  // Deployment and service names have no '.', so the first one ends the deployment.
  if (auto dot = text.find('.'); dot != std::string_view::npos) {
    deployment = text.substr(0, dot);
    if (deployment.empty()) throw bad("no deployment name before the '.'");
    text = text.substr(dot + 1);
  }
  auto pos = text.rfind("-rep-");
  if (pos == std::string_view::npos || pos == 0) throw bad("no '-rep-' after a service name");
  std::string_view num = text.substr(pos + 5);
  uint32_t replica = 0;
  auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), replica);
  if (num.empty() || ec != std::errc() || end != num.data() + num.size()) throw bad("the replica is not a number");
  // As in a spec's names (a '/' would otherwise reach the API as a path).
  for (std::string_view name : {deployment, text.substr(0, pos)})
    for (char c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
        throw bad("names have letters, digits, - and _ only");
  return InstanceId{std::string(text.substr(0, pos)), replica, std::string(deployment)};
}

InstanceId resolve_instance_id(const InstanceId& id, const std::vector<InstanceId>& candidates, const std::string& what_none) {
  std::vector<const InstanceId*> matches;
  for (const auto& c : candidates) {
    if (c == id) return c;
    if (id.deployment.empty() && c.service == id.service && c.replica == id.replica) matches.push_back(&c);
  }
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) throw RuntimeError(RuntimeError::Kind::NotFound, what_none);
  std::string names;
  for (const auto* m : matches) names += (names.empty() ? "" : ", ") + m->str();
  throw RuntimeError(RuntimeError::Kind::Conflict, fmt::format("'{}' names an instance in more than one deployment ({}); give DEPLOYMENT.{}",
                                                               id.str(), names, id.str()));
}

const char* InstanceState::name() const {
  switch (kind) {
    case Kind::Pending: return "pending";
    case Kind::Running: return "running";
    case Kind::Stopping: return "stopping";
    case Kind::Exited: return "exited";
    case Kind::Failed: return "failed";
  }
  return "unknown";
}

std::string InstanceState::to_string() const {
  if (kind == Kind::Exited) return fmt::format("exited({})", code);
  if (kind == Kind::Failed) return fmt::format("failed({})", reason);
  return name();
}

const char* to_string(WaitReason reason) {
  switch (reason) {
    case WaitReason::Exited: return "exited";
    case WaitReason::Signal: return "signal";
    case WaitReason::OomKilled: return "oom_killed";
    case WaitReason::RuntimeError: return "runtime_error";
  }
  return "runtime_error";
}

WaitReason wait_reason_from_string(std::string_view text) {
  for (auto r : {WaitReason::Exited, WaitReason::Signal, WaitReason::OomKilled, WaitReason::RuntimeError})
    if (text == to_string(r)) return r;
  throw RuntimeError(RuntimeError::Kind::InvalidArgument,
                     fmt::format("unknown wait reason '{}' (expected exited, signal, oom_killed or runtime_error)", text));
}

const char* to_string(LogStream stream) { return stream == LogStream::Stdout ? "stdout" : "stderr"; }

const char* to_string(RuntimeError::Kind kind) {
  switch (kind) {
    case RuntimeError::Kind::NotFound: return "not_found";
    case RuntimeError::Kind::InvalidSpec: return "invalid_spec";
    case RuntimeError::Kind::InvalidArgument: return "invalid_argument";
    case RuntimeError::Kind::AlreadyExists: return "already_exists";
    case RuntimeError::Kind::Conflict: return "conflict";
    case RuntimeError::Kind::Unsupported: return "unsupported";
    case RuntimeError::Kind::PullFailed: return "pull_failed";
    case RuntimeError::Kind::ShuttingDown: return "shutting_down";
    case RuntimeError::Kind::Internal: return "internal";
  }
  return "internal";
}

RuntimeError::Kind runtime_error_kind_from_string(std::string_view text) {
  using K = RuntimeError::Kind;
  for (K k : {K::NotFound, K::InvalidSpec, K::InvalidArgument, K::AlreadyExists, K::Conflict, K::Unsupported,
              K::PullFailed, K::ShuttingDown, K::Internal})
    if (text == to_string(k)) return k;
  return K::Internal;
}

std::string format_time(TimePoint t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
  long frac = static_cast<long>(ns % 1000000000);
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

TimePoint parse_time(std::string_view text, TimePoint now) {
  auto bad = [&] {
    return RuntimeError(RuntimeError::Kind::InvalidArgument,
                        fmt::format("invalid time '{}': expected RFC 3339 (2026-01-02T15:04:05Z) or a duration ago (10m)", text));
  };
  if (text.empty()) throw bad();
  if (text.size() >= 19 && text[4] == '-' && text[7] == '-' && (text[10] == 'T' || text[10] == ' ')) {
    std::tm tm{};
    std::string s(text);
    int consumed = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2d%*c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &consumed) != 6)
      throw bad();
    // timegm would carry an impossible field into the next one (month 13 is January).
    auto out_of_range = [&](const char* what, int value, int low, int high) {
      if (value >= low && value <= high) return;
      throw RuntimeError(RuntimeError::Kind::InvalidArgument,
                         fmt::format("invalid time '{}': {} {} is not {} to {}", text, what, value, low, high));
    };
    const int year = tm.tm_year;
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    out_of_range("month", tm.tm_mon, 1, 12);
    out_of_range("day", tm.tm_mday, 1, kDays[tm.tm_mon - 1] + (tm.tm_mon == 2 && leap ? 1 : 0));
    out_of_range("hour", tm.tm_hour, 0, 23);
    out_of_range("minute", tm.tm_min, 0, 59);
    out_of_range("second", tm.tm_sec, 0, 60);  // 60: a leap second, as RFC 3339 allows
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    long long secs = timegm(&tm);
    long long nanos = 0;
    size_t i = static_cast<size_t>(consumed);
    if (i < s.size() && s[i] == '.') {
      ++i;
      long long scale = 100000000;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        nanos += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
      }
    }
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int hh = 0, mm = 0;
      if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &hh, &mm) != 2) throw bad();
      if (hh < 0 || hh > 23 || mm < 0 || mm > 59) throw bad();
      long long off = hh * 3600 + mm * 60;
      secs -= s[i] == '+' ? off : -off;
      i += 6;
    }
    if (i != s.size()) throw bad();
    constexpr long long kMaxSecs = 9'000'000'000;  // ~2255: nanosecond time points end in 2262
    if (secs > kMaxSecs) return TimePoint::max();
    if (secs < -kMaxSecs) return TimePoint::min();
    return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos)));
  }
  try {
    return now - std::chrono::duration_cast<Clock::duration>(parse_duration(text));
  } catch (const Error&) {
    throw bad();
  }
}

void ExecCancel::cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (store_) store_->interrupt();
}

bool ExecCancel::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

void ExecCancel::attach(Store* store) {
  std::lock_guard lock(mu_);
  store_ = store;
  if (store_ && cancelled_) store_->interrupt();
}

}  // namespace wasmlet::runtime
