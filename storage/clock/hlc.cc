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
  std::lock_guard<std::mutex> l(mu_);
  if (hw.wall_ms() > wall_ || (hw.wall_ms() == wall_ && hw.logical() > logical_)) {
    wall_ = hw.wall_ms();
    logical_ = hw.logical();
  }
  anchor_ = std::max(anchor_, hw.anchor_ms());
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
  std::lock_guard<std::mutex> l(mu_);
  return NowLocked();
}

v1::Stamp HybridClock::NowAfter(const v1::Stamp& prior) {
  std::lock_guard<std::mutex> l(mu_);
  anchor_ = std::max(anchor_, prior.anchor_ms());
  v1::Stamp s = NowLocked();
  if (StampLess(prior, s)) return s;
  // `prior` lies beyond our clock (a fast writer). Order after it for this one
  // write, without moving our clock into its future.
  s.set_wall_ms(std::max(s.wall_ms(), prior.wall_ms()));
  s.set_logical(prior.logical() + 1);
  s.set_anchor_ms(std::max(s.anchor_ms(), prior.anchor_ms()));
  if (!StampLess(prior, s)) s.set_logical(s.logical() + 1);  // same node, same wall
  return s;
}

void HybridClock::Observe(const v1::Stamp& remote, bool from_parent) {
  std::lock_guard<std::mutex> l(mu_);
  const int64_t limit =
      from_parent ? std::numeric_limits<int64_t>::max() : physical_->NowMs() + max_skew_ms_;
  anchor_ = std::max(anchor_, std::min(remote.anchor_ms(), limit));
  const int64_t rw = std::min(remote.wall_ms(), limit);
  if (rw > wall_) {
    wall_ = rw;
    logical_ = rw == remote.wall_ms() ? remote.logical() : 0;
  } else if (rw == wall_ && rw == remote.wall_ms()) {
    logical_ = std::max(logical_, remote.logical());
  }
}

v1::Stamp HybridClock::HighWater() const {
  std::lock_guard<std::mutex> l(mu_);
  v1::Stamp s;
  s.set_wall_ms(wall_);
  s.set_logical(logical_);
  s.set_node(node_id_);
  s.set_anchor_ms(anchor_);
  return s;
}

}  // namespace ilp
