#include "restart_policy.h"

#include <algorithm>

namespace wasmlet::runtime {

bool run_failed(const WaitOutcome& outcome) { return !(outcome.exit_code == 0 && outcome.reason == WaitReason::Exited); }

bool should_restart(const RestartPolicy& policy, const WaitOutcome& outcome, uint32_t restarts_done, bool stopped_by_user) {
  if (stopped_by_user) return false;
  switch (policy.kind) {
    case RestartPolicy::Kind::No: return false;
    case RestartPolicy::Kind::Always:
    case RestartPolicy::Kind::UnlessStopped: return true;
    case RestartPolicy::Kind::OnFailure:
      return run_failed(outcome) && (!policy.max_attempts || restarts_done < *policy.max_attempts);
  }
  return false;
}

bool starts_again_with_the_daemon(const RestartPolicy& policy, bool stopped_by_user, const std::optional<WaitOutcome>& last_run,
                                  uint32_t restarts_done) {
  if (!stopped_by_user) return false;
  switch (policy.kind) {
    case RestartPolicy::Kind::Always: return true;
    case RestartPolicy::Kind::OnFailure:
      return last_run && should_restart(policy, *last_run, restarts_done, /*stopped_by_user=*/false);
    case RestartPolicy::Kind::No:
    case RestartPolicy::Kind::UnlessStopped: return false;
  }
  return false;
}

std::chrono::nanoseconds restart_backoff(const RestartPolicy& policy, uint32_t doublings) {
  using namespace std::chrono;
  // A floor as docker's first back-off: a delay of 0 would double to 0 and
  // restart a failing guest as fast as it can fail, forever.
  nanoseconds d = std::max<nanoseconds>(policy.delay, kMinRestartBackoff);
  for (uint32_t i = 0; i < doublings && d < kMaxRestartBackoff; ++i) d *= 2;
  return std::min<nanoseconds>(d, kMaxRestartBackoff);
}

std::chrono::nanoseconds RestartBackoff::next(const RestartPolicy& policy, std::chrono::nanoseconds ran_for) {
  // Without the reset, a guest that failed a few times long ago would wait
  // a minute after every crash for the rest of its life.
  if (ran_for >= kHealthyRunResetsBackoff) quick_restarts_ = 0;
  return restart_backoff(policy, quick_restarts_++);
}

}  // namespace wasmlet::runtime
