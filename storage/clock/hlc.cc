#include "storage/clock/hlc.h"

#include <algorithm>
#include <limits>

#include "storage/merge/stamp.h"

namespace ilp {

HybridClock::HybridClock(Clock* physical, std::string node_id, bool trusted_time_source,
                         int64_t max_skew_ms)
    : physical_(physical),
      node_id_(std::move(node_id)),
      trusted_(trusted_time_source),
      max_skew_ms_(max_skew_ms) {}

void HybridClock::Restore(const v1::Stamp& hw) {
  absl::MutexLock l(&mu_);
  if (hw.wall_ms() > wall_ || (hw.wall_ms() == wall_ && hw.logical() > logical_)) {
    wall_ = hw.wall_ms();
    logical_ = hw.logical();
  }
  anchor_ = std::max(anchor_, hw.anchor_ms());
  if (hw.anchor_ms() > ref_) {
    // The time spent switched off is unknown: count trusted time from now.
    ref_ = hw.anchor_ms();
    ref_pt_ = physical_->NowMs();
  }
}

int64_t HybridClock::TrustedNowLocked(int64_t pt) const {
  if (trusted_) return pt;
  if (ref_ == 0) return anchor_;
  const int64_t elapsed = std::max<int64_t>(0, pt - ref_pt_);
  const int64_t est = ref_ > std::numeric_limits<int64_t>::max() - elapsed ? ref_ : ref_ + elapsed;
  return std::max(est, anchor_);  // never below a trusted time already handed on
}

int64_t HybridClock::TrustedNowMs() const {
  absl::MutexLock l(&mu_);
  return TrustedNowLocked(physical_->NowMs());
}

v1::Stamp HybridClock::NowLocked() {
  const int64_t pt = physical_->NowMs();
  if (trusted_) anchor_ = std::max(anchor_, pt);
  if (pt > wall_) {
    wall_ = pt;
    logical_ = 0;
  } else {
    ++logical_;
  }
  v1::Stamp s;
  s.set_wall_ms(wall_);
  s.set_logical(logical_);
  s.set_node(node_id_);
  s.set_anchor_ms(anchor_);
  return s;
}

v1::Stamp HybridClock::Now() {
  absl::MutexLock l(&mu_);
  return NowLocked();
}

v1::Stamp HybridClock::NowAfter(const v1::Stamp& prior) {
  absl::MutexLock l(&mu_);
  v1::Stamp s = NowLocked();
  if (StampLess(prior, s)) return s;
  // `prior` lies beyond our clock (a fast writer). Order after it for this one
  // write, without moving our clock into its future: take its wall, one
  // logical step on. Our own anchor stays, unless the prior's is newer (it
  // can be, by at most the skew its receiver allowed), then the prior's is
  // carried, capped at our trusted now + max_skew_ms.
  const uint32_t kMaxLogical = std::numeric_limits<uint32_t>::max();
  s.set_wall_ms(std::max(s.wall_ms(), prior.wall_ms()));
  if (prior.logical() == kMaxLogical) {
    s.set_wall_ms(s.wall_ms() == std::numeric_limits<int64_t>::max() ? s.wall_ms() : s.wall_ms() + 1);
    s.set_logical(0);
  } else {
    s.set_logical(prior.logical() + 1);
  }
  if (!StampLess(prior, s)) {
    const int64_t cap = TrustedNowLocked(physical_->NowMs());
    const int64_t limit = cap > std::numeric_limits<int64_t>::max() - max_skew_ms_
                              ? std::numeric_limits<int64_t>::max() : cap + max_skew_ms_;
    s.set_anchor_ms(std::max(s.anchor_ms(), std::min(prior.anchor_ms(), limit)));
  }
  if (!StampLess(prior, s) && s.logical() < kMaxLogical) s.set_logical(s.logical() + 1);  // same node, same wall
  return s;
}

void HybridClock::AdvanceLocked(int64_t wall, uint32_t logical, int64_t limit) {
  // A stamp beyond the limit is not followed at all: our next stamps keep
  // our own time (an edit of that value still orders after it, NowAfter).
  if (wall > limit) return;
  if (wall > wall_) {
    wall_ = wall;
    logical_ = logical;
  } else if (wall == wall_) {
    logical_ = std::max(logical_, logical);
  }
}

void HybridClock::Observe(const v1::Stamp& remote) {
  absl::MutexLock l(&mu_);
  const int64_t pt = physical_->NowMs();
  int64_t base = TrustedNowLocked(pt);
  if (base == 0) base = pt;  // never learned trusted time: our own clock bounds
  const int64_t limit = base > std::numeric_limits<int64_t>::max() - max_skew_ms_
                            ? std::numeric_limits<int64_t>::max() : base + max_skew_ms_;
  AdvanceLocked(remote.wall_ms(), remote.logical(), limit);
}

void HybridClock::ObserveParentTime(const v1::Stamp& parent_now, int64_t parent_trusted_now_ms) {
  absl::MutexLock l(&mu_);
  if (trusted_) return;  // the root defines trusted time itself
  const int64_t pt = physical_->NowMs();
  const int64_t parent_trusted = std::max(parent_now.anchor_ms(), parent_trusted_now_ms);
  if (parent_trusted <= 0) return;  // the parent knows no trusted time either
  // The parent's estimate replaces ours (ours may have drifted either way);
  // stamps carry the greatest anchor the parent's stamps carried.
  ref_ = parent_trusted;
  ref_pt_ = pt;
  anchor_ = std::max(anchor_, parent_now.anchor_ms());
  const int64_t limit = ref_ > std::numeric_limits<int64_t>::max() - max_skew_ms_
                            ? std::numeric_limits<int64_t>::max() : ref_ + max_skew_ms_;
  AdvanceLocked(parent_now.wall_ms(), parent_now.logical(), limit);
}

v1::Stamp HybridClock::HighWater() const {
  absl::MutexLock l(&mu_);
  v1::Stamp s;
  s.set_wall_ms(wall_);
  s.set_logical(logical_);
  s.set_node(node_id_);
  s.set_anchor_ms(anchor_);
  return s;
}

}  // namespace ilp
