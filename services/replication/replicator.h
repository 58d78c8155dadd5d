// The child's replication loop: a session with the parent every interval,
// exponential backoff with jitter after a failure. Local writes never wait
// for it: a node offline for weeks keeps serving.
#ifndef ILP_SERVICES_REPLICATION_REPLICATOR_H_
#define ILP_SERVICES_REPLICATION_REPLICATOR_H_

#include <cstdint>
#include <thread>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/replication/stream.h"
#include "services/replication/sync_engine.h"
#include "storage/util/random.h"
#include "storage/util/steady_wait.h"

namespace ilp {

// Delay before retry number `failures` (>= 1): 1 s doubling up to `cap`,
// times a jitter factor in [0.5, 1.5).
absl::Duration BackoffDelay(int failures, absl::Duration cap, Random* random);

class Replicator {
 public:
  // Pointers must outlive the replicator.
  Replicator(SyncEngine* engine, SyncDialer* dialer, Random* random, absl::Duration interval);
  ~Replicator();

  // Starts the background loop (first session at once).
  void Start();
  // Stops the loop and waits for a running session to end.
  void Stop();

  // Runs one session now, serialized with the loop's sessions.
  ABSL_MUST_USE_RESULT absl::StatusOr<SessionStats> SyncOnce();

  // Wakes the loop to start a session now instead of at the next interval.
  // Returns false if the loop is not running (then call SyncOnce).
  bool TriggerNow();

 private:
  void Loop();

  SyncEngine* const engine_;
  SyncDialer* const dialer_;
  Random* const random_;
  const absl::Duration interval_;
  // One session at a time; held across the session, so taken before the
  // engine's and the store's locks (docs/reliability.md, "Locks and sanitizers").
  absl::Mutex session_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  uint64_t sessions_ ABSL_GUARDED_BY(session_mu_) = 0;  // numbers sessions in logs
  absl::Mutex mu_;  // a leaf
  SteadyCondVar cv_;  // signalled when stop_ or wake_ is set
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ilp

#endif  // ILP_SERVICES_REPLICATION_REPLICATOR_H_
