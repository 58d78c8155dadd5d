// A hybrid logical clock (Kulkarni et al., 2014) with two guards against bad
// device clocks; the rules are in docs/merge.md, "Wrong clocks".
//
//   HybridClock hlc(&system_clock, "pos-a", /*trusted_time_source=*/false, 300'000);
//   hlc.Restore(persisted_high_water);   // never issue a stamp below it again
//   ilp::v1::Stamp s = hlc.Now();
//
// - Stamps never go backwards, across restarts too (Restore + HighWater).
// - Observe() takes a peer's stamp into account. Time flows down the
//   hierarchy: a parent's stamps are trusted, a child's never move this clock
//   more than `max_skew_ms` past its own physical time, so one fast device
//   cannot drag the hierarchy's clocks into the future.
// - Every stamp carries an anchor: the latest trusted time the node has seen
//   (the root's own clock; everyone else learns it from stamps they observe).
#ifndef ILP_STORAGE_CLOCK_HLC_H_
#define ILP_STORAGE_CLOCK_HLC_H_

#include <cstdint>
#include <mutex>
#include <string>

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

  // Receive rule: later stamps order after `remote`, and the anchor advances
  // to remote's. Time from the parent (`from_parent`, the trusted direction) is
  // taken as is, so a device whose clock is behind catches up; time from a
  // child is capped at our physical time + max_skew_ms.
  void Observe(const v1::Stamp& remote, bool from_parent);

  // The greatest stamp issued or observed so far; persist it with each write.
  v1::Stamp HighWater() const;

  const std::string& node_id() const { return node_id_; }
  Clock* physical() const { return physical_; }

 private:
  v1::Stamp NowLocked();

  Clock* const physical_;
  const std::string node_id_;
  const bool trusted_;
  const int64_t max_skew_ms_;
  mutable std::mutex mu_;
  int64_t wall_ = 0;       // guarded by mu_
  uint32_t logical_ = 0;   // guarded by mu_
  int64_t anchor_ = 0;     // guarded by mu_
};

}  // namespace ilp

#endif  // ILP_STORAGE_CLOCK_HLC_H_
