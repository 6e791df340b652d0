#include "restart_policy.h"

#include <algorithm>

namespace wasmlet::runtime {

bool should_restart(const RestartPolicy& policy, const WaitOutcome& outcome, uint32_t restarts_done, bool stopped_by_user) {
  if (stopped_by_user) return false;
  switch (policy.kind) {
    case RestartPolicy::Kind::No: return false;
    case RestartPolicy::Kind::Always:
    case RestartPolicy::Kind::UnlessStopped: return true;
    case RestartPolicy::Kind::OnFailure:
      if (outcome.exit_code == 0 && outcome.reason == WaitReason::Exited) return false;
      return !policy.max_attempts || restarts_done < *policy.max_attempts;
  }
  return false;
}

bool starts_again_with_the_daemon(const RestartPolicy& policy, bool stopped_by_user) {
  return stopped_by_user && policy.kind == RestartPolicy::Kind::Always;
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
