// Store's side of group commit (commit_queue.h): waiting for durability and
// the published head readers see (docs/storage.md, "Group commit").
#include "storage/store/durable.h"

#include "absl/time/clock.h"
#include "storage/store/store.h"

namespace ilp {

namespace store_internal {
thread_local absl::Time deferred_apply_start = absl::InfinitePast();
}  // namespace store_internal

uint64_t Store::LastSeq() const { return commits_->PublishedSeq(); }

bool Store::WaitForChange(uint64_t after_seq, absl::Duration timeout) const {
  return commits_->WaitForSeq(after_seq, timeout);
}

absl::Status Store::WaitDurable(uint64_t ticket) {
  absl::Status st = commits_->WaitDurable(ticket);
  if (!st.ok()) {
    absl::MutexLock l(&mu_);
    needs_resume_ = true;  // RocksDB may have stopped writes; ReadyToWrite resumes
  }
  return st;
}

absl::Status Store::AwaitDurable() {
  uint64_t ticket = 0;
  {
    // Under mu_: a write seen by an earlier read (outside mu_) has taken its
    // ticket, which it does under mu_ right after writing.
    absl::MutexLock l(&mu_);
    ticket = commits_->LastTicket();
  }
  absl::Status st = WaitDurable(ticket);
  if (st.ok() && store_internal::deferred_apply_start != absl::InfinitePast()) {
    apply_latency_.Record(absl::Now() - store_internal::deferred_apply_start);
  }
  store_internal::deferred_apply_start = absl::InfinitePast();
  return st;
}

}  // namespace ilp
