// Group commit for Store::Apply: many writers, one WAL fsync.
//
// Apply writes its batch to RocksDB under the store's mutex without fsync
// (so the next Apply reads it), takes a ticket here, releases the mutex and
// waits in WaitDurable. The first waiter becomes the leader: it syncs the WAL
// once for every write made so far (DB::SyncWAL) while the others wait, then
// wakes them. The WAL is one ordered file, so syncing it up to ticket T makes
// every write with a ticket <= T durable.
//
// Readers of the change log (LastSeq, WaitForChange, ReadChanges) see only
// the published seq: the head of the last write known durable. A change is
// never streamed to a follower or a peer before it is on disk, so a crash
// cannot make a seq that left the node name different content after restart
// (docs/storage.md, "Group commit").
//
//   // under Store::mu_, after db_->Write(sync = false):
//   const uint64_t ticket = commits_->Written(seq, /*needs_sync=*/req.sync);
//   // after releasing Store::mu_:
//   ILP_RETURN_IF_ERROR(commits_->WaitDurable(ticket));
#ifndef ILP_STORAGE_STORE_COMMIT_QUEUE_H_
#define ILP_STORAGE_STORE_COMMIT_QUEUE_H_

#include <cstdint>
#include <functional>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/util/steady_wait.h"

namespace ilp {

class CommitQueue {
 public:
  // `sync` makes every write made before it was called durable (the store
  // passes DB::SyncWAL). `head` is the change-log head at open: durable.
  CommitQueue(std::function<absl::Status()> sync, uint64_t head);

  CommitQueue(const CommitQueue&) = delete;
  CommitQueue& operator=(const CommitQueue&) = delete;

  // Registers a write just made that took the change log to `seq`; returns
  // its ticket. Call under the store's mutex, so tickets follow write order.
  // A write that needs no fsync (ApplyRequest::sync false) is published at
  // once unless a write that does is still waiting ahead of it; then it is
  // published with that one's sync.
  uint64_t Written(uint64_t seq, bool needs_sync) ABSL_LOCKS_EXCLUDED(mu_);

  // The ticket of the last write registered, for a caller that wrote nothing
  // but read what earlier writes left (a duplicate): waiting for it makes
  // sure what it answers is durable. Call under the store's mutex.
  uint64_t LastTicket() const ABSL_LOCKS_EXCLUDED(mu_);

  // Returns once the write with `ticket` is durable: leads one sync for
  // every write registered so far, or waits for the leader's. The sync's
  // error if the sync covering it failed (the write may then be lost; it
  // was not published).
  ABSL_MUST_USE_RESULT absl::Status WaitDurable(uint64_t ticket) ABSL_LOCKS_EXCLUDED(mu_);

  // Head of the change log as far as it is durable (published).
  uint64_t PublishedSeq() const ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until PublishedSeq() > after_seq or `timeout` passes; returns
  // whether it is.
  bool WaitForSeq(uint64_t after_seq, absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

  // Syncs done so far (how many writes shared each: tickets / syncs).
  uint64_t syncs() const ABSL_LOCKS_EXCLUDED(mu_);

  // Test hooks: while held, a leader stops before its sync (holding no
  // lock); TEST_AwaitHeldLeader returns once one is stopped there.
  void TEST_HoldSync(bool hold) ABSL_LOCKS_EXCLUDED(mu_);
  void TEST_AwaitHeldLeader() const ABSL_LOCKS_EXCLUDED(mu_);
  // Returns once `n` threads are inside WaitDurable (the leader included).
  void TEST_AwaitWaiters(int n) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Publishes every write up to the last registered if no write needing a
  // sync is still unsynced.
  ABSL_MUST_USE_RESULT absl::Status WaitDurableLocked(uint64_t ticket) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PublishUnsyncedTailLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish(uint64_t ticket, uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits on changed_ until `done()` (no timeout: SteadyCondVar's wait_for
  // would overflow on an infinite one).
  template <typename Pred>
  void WaitLocked(Pred done) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!changed_.WaitFor(&mu_, absl::Seconds(10), done)) {
    }
  }

  const std::function<absl::Status()> sync_;
  // A leaf: taken under Store::mu_ by Written; nothing is taken under it.
  mutable absl::Mutex mu_;
  mutable SteadyCondVar changed_;  // published_ grew, or a leader finished
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;        // last ticket given
  uint64_t written_seq_ ABSL_GUARDED_BY(mu_) = 0;    // log head after it
  uint64_t needs_sync_ ABSL_GUARDED_BY(mu_) = 0;     // last ticket that asked for a sync
  uint64_t published_ ABSL_GUARDED_BY(mu_) = 0;      // tickets <= this are durable (or needed no sync)
  uint64_t published_seq_ ABSL_GUARDED_BY(mu_) = 0;  // readers see the log up to here
  bool leading_ ABSL_GUARDED_BY(mu_) = false;        // a leader is syncing
  // The last failed sync: the tickets it covered and its error.
  uint64_t failed_upto_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  uint64_t syncs_ ABSL_GUARDED_BY(mu_) = 0;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  bool held_ ABSL_GUARDED_BY(mu_) = false;  // a leader is stopped by hold_
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;     // threads in WaitDurable
  bool count_waiters_ ABSL_GUARDED_BY(mu_) = false;  // a test waits on waiters_
};

}  // namespace ilp

#endif  // ILP_STORAGE_STORE_COMMIT_QUEUE_H_
