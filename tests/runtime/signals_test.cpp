// The seed's signal rules (zlayer-agent runtime.rs tests), exactly.
#include <gtest/gtest.h>

#include "server/api_json.h"
#include "wasmlet/runtime/runtime.h"

namespace wasmlet::runtime {
namespace {

TEST(Signals, ValidateSignalAcceptsKnownSignals) {
  EXPECT_EQ(validate_signal("SIGKILL"), "SIGKILL");
  EXPECT_EQ(validate_signal("SIGTERM"), "SIGTERM");
  EXPECT_EQ(validate_signal("SIGINT"), "SIGINT");
  EXPECT_EQ(validate_signal("SIGHUP"), "SIGHUP");
  EXPECT_EQ(validate_signal("SIGUSR1"), "SIGUSR1");
  EXPECT_EQ(validate_signal("SIGUSR2"), "SIGUSR2");
  EXPECT_EQ(validate_signal("KILL"), "SIGKILL");
  EXPECT_EQ(validate_signal("term"), "SIGTERM");
  EXPECT_EQ(validate_signal(" INT "), "SIGINT");
}

TEST(Signals, ValidateSignalRejectsUnknownOrEmpty) {
  for (const char* bad : {"", "   ", "SIGSEGV", "NOPE", "SIGPIPE", "SIGFOO"}) {
    try {
      validate_signal(bad);
      FAIL() << "accepted '" << bad << "'";
    } catch (const RuntimeError& e) {
      EXPECT_EQ(e.kind(), RuntimeError::Kind::InvalidSpec) << bad;
    }
  }
  try {
    validate_signal("sigpipe");
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("SIGPIPE"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("allowed: SIGKILL"), std::string::npos);
  }
}

TEST(Signals, SignalNameFromExitCodeKnownSignals) {
  EXPECT_EQ(signal_name_from_exit_code(137), "SIGKILL");
  EXPECT_EQ(signal_name_from_exit_code(143), "SIGTERM");
  EXPECT_EQ(signal_name_from_exit_code(130), "SIGINT");
  EXPECT_EQ(signal_name_from_exit_code(129), "SIGHUP");
  EXPECT_EQ(signal_name_from_exit_code(139), "SIGSEGV");
}

TEST(Signals, SignalNameFromExitCodeHandlesUnknownAndNormal) {
  EXPECT_EQ(signal_name_from_exit_code(0), std::nullopt);
  EXPECT_EQ(signal_name_from_exit_code(1), std::nullopt);
  EXPECT_EQ(signal_name_from_exit_code(128), std::nullopt);
  EXPECT_EQ(signal_name_from_exit_code(128 + 99), "signal_99");
}

TEST(Signals, WaitReasonSerializesAsSnakeCaseAndRoundTrips) {
  EXPECT_STREQ(to_string(WaitReason::Exited), "exited");
  EXPECT_STREQ(to_string(WaitReason::Signal), "signal");
  EXPECT_STREQ(to_string(WaitReason::OomKilled), "oom_killed");
  EXPECT_STREQ(to_string(WaitReason::RuntimeError), "runtime_error");
  for (auto r : {WaitReason::Exited, WaitReason::Signal, WaitReason::OomKilled, WaitReason::RuntimeError}) {
    WaitOutcome o{137, r, "SIGKILL", Clock::now()};
    auto back = server::outcome_from_json(server::to_json(o));
    EXPECT_EQ(back.reason, r);
    EXPECT_EQ(back.exit_code, 137);
    EXPECT_EQ(back.signal, "SIGKILL");
  }
  EXPECT_THROW(wait_reason_from_string("nope"), RuntimeError);
}

TEST(Signals, InstanceIdFollowsTheSeed) {
  InstanceId id{"myservice", 1};
  EXPECT_EQ(id.str(), "myservice-rep-1");
  EXPECT_EQ(InstanceId::parse("my-service-rep-12"), (InstanceId{"my-service", 12}));
  EXPECT_THROW(InstanceId::parse("nope"), RuntimeError);
  EXPECT_THROW(InstanceId::parse("web-rep-x"), RuntimeError);
  // Scoped by a deployment: "DEPLOYMENT.SERVICE-rep-N".
  InstanceId scoped{"api", 0, "shop"};
  EXPECT_EQ(scoped.str(), "shop.api-rep-0");
  EXPECT_EQ(scoped.short_str(), "api-rep-0");
  EXPECT_EQ(InstanceId::parse("shop.my-api-rep-3"), (InstanceId{"my-api", 3, "shop"}));
  EXPECT_THROW(InstanceId::parse(".api-rep-0"), RuntimeError);
  // Names have a spec's characters only: a '/' or a NUL never reaches the API as part of a path.
  for (const std::string& bad : std::vector<std::string>{"a/b-rep-0", "shop/x.api-rep-0", std::string("web\0-rep-0", 10), "we b-rep-0"}) {
    try {
      InstanceId::parse(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const RuntimeError& e) {
      EXPECT_EQ(e.kind(), RuntimeError::Kind::InvalidArgument);
      if (bad.find('\0') != std::string::npos) EXPECT_NE(std::string(e.what()).find("'web\\x00-rep-0'"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("names have letters, digits, - and _ only"), std::string::npos) << e.what();
    }
  }
}

TEST(Signals, TimesRoundTripWithNanoseconds) {
  auto t = Clock::now();
  EXPECT_EQ(parse_time(format_time(t)), TimePoint(std::chrono::duration_cast<Clock::duration>(t.time_since_epoch())));
  EXPECT_EQ(format_time(parse_time("2026-01-02T03:04:05.5Z")), "2026-01-02T03:04:05.500000000Z");
  EXPECT_EQ(format_time(parse_time("2026-01-02T05:04:05+02:00")), "2026-01-02T03:04:05.000000000Z");
  auto now = Clock::now();
  EXPECT_EQ(parse_time("10m", now), now - std::chrono::minutes(10));
  EXPECT_THROW(parse_time("yesterday"), RuntimeError);
}

// timegm would carry an impossible field over (month 13 read as January next year).
TEST(Signals, ImpossibleDatesAreRefused) {
  for (const char* text : {"2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
                           "2026-04-31T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z",
                           "2026-01-01T00:00:61Z", "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+01:60"})
    EXPECT_THROW(parse_time(text), RuntimeError) << text;
  try {
    parse_time("2026-13-01T00:00:00Z");
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "invalid time '2026-13-01T00:00:00Z': month 13 is not 1 to 12");
  }
  EXPECT_EQ(format_time(parse_time("2024-02-29T23:59:59Z")), "2024-02-29T23:59:59.000000000Z");  // a leap year
  EXPECT_EQ(format_time(parse_time("2000-02-29T00:00:00Z")), "2000-02-29T00:00:00.000000000Z");
}

}  // namespace
}  // namespace wasmlet::runtime
