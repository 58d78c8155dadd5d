#include "storage/store/commit_queue.h"

#include <utility>

namespace ilp {

CommitQueue::CommitQueue(std::function<absl::Status()> sync, uint64_t head) : sync_(std::move(sync)) {
  absl::MutexLock l(&mu_);
  written_seq_ = published_seq_ = head;
}

uint64_t CommitQueue::Written(uint64_t seq, bool needs_sync) {
  absl::MutexLock l(&mu_);
  ++written_;
  written_seq_ = seq;
  if (needs_sync) {
    needs_sync_ = written_;
  } else {
    PublishUnsyncedTailLocked();
  }
  return written_;
}

uint64_t CommitQueue::LastTicket() const {
  absl::MutexLock l(&mu_);
  return written_;
}

void CommitQueue::Publish(uint64_t ticket, uint64_t seq) {
  if (ticket <= published_) return;
  published_ = ticket;
  if (seq > published_seq_) published_seq_ = seq;
  changed_.SignalAll();
}

void CommitQueue::PublishUnsyncedTailLocked() {
  // Writes after the last one that asked for a sync asked for none: they
  // are visible at once, as without group commit.
  if (needs_sync_ <= published_) Publish(written_, written_seq_);
}

absl::Status CommitQueue::WaitDurable(uint64_t ticket) {
  absl::MutexLock l(&mu_);
  ++waiters_;
  if (count_waiters_) changed_.SignalAll();
  absl::Status st = WaitDurableLocked(ticket);
  --waiters_;
  return st;
}

absl::Status CommitQueue::WaitDurableLocked(uint64_t ticket) {
  while (published_ < ticket) {
    if (ticket <= failed_upto_) return failure_;
    if (leading_) {
      // The leader's sync may have started before this write: wait for it,
      // then lead the next one if still needed.
      auto done = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return published_ >= ticket || !leading_ || ticket <= failed_upto_;
      };
      WaitLocked(done);
      continue;
    }
    leading_ = true;
    while (hold_) {
      held_ = true;
      changed_.SignalAll();
      auto released = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !hold_; };
      WaitLocked(released);
      held_ = false;
    }
    // Every write registered so far is in the WAL file (RocksDB writes it
    // before Write returns); one sync covers them all.
    const uint64_t target = written_, target_seq = written_seq_;
    mu_.Unlock();
    absl::Status st = sync_();
    mu_.Lock();
    leading_ = false;
    ++syncs_;
    if (st.ok()) {
      Publish(target, target_seq);
      PublishUnsyncedTailLocked();
    } else {
      // Not published: readers never see these seqs. Their writers get the
      // error; a later sync that succeeds publishes them.
      failed_upto_ = target;
      failure_ = std::move(st);
    }
    changed_.SignalAll();
  }
  return absl::OkStatus();
}

uint64_t CommitQueue::PublishedSeq() const {
  absl::MutexLock l(&mu_);
  return published_seq_;
}

bool CommitQueue::WaitForSeq(uint64_t after_seq, absl::Duration timeout) const {
  absl::MutexLock l(&mu_);
  auto newer = [this, after_seq]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return published_seq_ > after_seq; };
  return changed_.WaitFor(&mu_, timeout, newer);
}

uint64_t CommitQueue::syncs() const {
  absl::MutexLock l(&mu_);
  return syncs_;
}

void CommitQueue::TEST_HoldSync(bool hold) {
  absl::MutexLock l(&mu_);
  hold_ = hold;
  changed_.SignalAll();
}

void CommitQueue::TEST_AwaitWaiters(int n) {
  absl::MutexLock l(&mu_);
  count_waiters_ = true;
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return waiters_ >= n; };
  WaitLocked(enough);
}

void CommitQueue::TEST_AwaitHeldLeader() const {
  absl::MutexLock l(&mu_);
  auto held = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_; };
  WaitLocked(held);
}

}  // namespace ilp
