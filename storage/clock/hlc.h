// A hybrid logical clock (Kulkarni et al., 2014) with two guards against bad
// device clocks; the rules are in docs/merge.md, "Wrong clocks".
//
//   HybridClock hlc(&system_clock, "pos-a", /*trusted_time_source=*/false, 300'000);
//   hlc.Restore(persisted_high_water);   // never issue a stamp below it again
//   ilp::v1::Stamp s = hlc.Now();
//
// - Stamps never go backwards, across restarts too (Restore + HighWater).
// - Every stamp carries an anchor: the latest trusted time the node has seen.
//   The root's own clock defines trusted time; every other node learns it
//   only from its parent's clock in the session Welcome (ObserveParentTime),
//   never from the stamps of records, so no writer can hand it an anchor.
// - Observe() takes a record's stamp into account, from any direction, but
//   never moves this clock more than `max_skew_ms` past trusted now, so one
//   fast device cannot drag the hierarchy's clocks into the future.
#ifndef ILP_STORAGE_CLOCK_HLC_H_
#define ILP_STORAGE_CLOCK_HLC_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

#include "ilp/v1/clock.pb.h"
#include "storage/clock/clock.h"

namespace ilp {

class HybridClock {
 public:
  // `physical` must outlive the clock. `trusted_time_source` is true at the
  // root, whose own clock defines trusted time.
  HybridClock(Clock* physical, std::string node_id, bool trusted_time_source,
              int64_t max_skew_ms);

  // Resumes from a stamp persisted earlier; later stamps order after it.
  void Restore(const v1::Stamp& high_water);

  // Returns a new stamp, greater than every stamp issued or observed before.
  v1::Stamp Now();

  // Returns a new stamp that also orders after `prior` (the value a write
  // replaces), even when `prior` lies beyond the skew bound. An edit therefore
  // always wins over the value its writer saw.
  v1::Stamp NowAfter(const v1::Stamp& prior);

  // Receive rule for a record's stamp: later stamps order after `remote`
  // unless it lies beyond TrustedNowMs() + max_skew_ms (then it is ignored,
  // so our clock never leads trusted time by more than the skew). The anchor
  // is not adopted.
  void Observe(const v1::Stamp& remote);

  // The parent's clock and its TrustedNowMs(), from the session Welcome: the
  // trusted direction. Its anchor becomes ours and its trusted now our
  // reference (a device set to 2019 catches up); its wall moves our clock up
  // to that trusted time + max_skew_ms.
  void ObserveParentTime(const v1::Stamp& parent_now, int64_t parent_trusted_now_ms);

  // Best estimate of true time, ms: at the root its own clock; elsewhere the
  // last anchor learned from the parent plus the physical time elapsed since
  // (so a device clock that is wrong by a constant does not matter). 0 if
  // this node never learned trusted time. Never below the anchor.
  int64_t TrustedNowMs() const;

  // The greatest stamp issued or observed so far; persist it with each write.
  v1::Stamp HighWater() const;

  const std::string& node_id() const { return node_id_; }
  Clock* physical() const { return physical_; }

 private:
  v1::Stamp NowLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t TrustedNowLocked(int64_t pt) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void AdvanceLocked(int64_t wall, uint32_t logical, int64_t limit)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const physical_;
  const std::string node_id_;
  const bool trusted_;
  const int64_t max_skew_ms_;
  mutable absl::Mutex mu_;  // a leaf: nothing else is locked while it is held
  int64_t wall_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t logical_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t anchor_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t ref_ ABSL_GUARDED_BY(mu_) = 0;     // the parent's trusted time at last contact
  int64_t ref_pt_ ABSL_GUARDED_BY(mu_) = 0;  // our physical time then
};

}  // namespace ilp

#endif  // ILP_STORAGE_CLOCK_HLC_H_
