// The total order of HLC stamps, shared by the merge rules and the clock.
//
// Order key: (effective, wall_ms, logical, node, anchor_ms), where
// effective = min(wall_ms, anchor_ms + kMaxLeadMs). A writer whose clock runs
// ahead therefore outranks concurrent writes by at most kMaxLeadMs past the
// latest trusted time it had seen (docs/merge.md, "Wrong clocks").
#ifndef ILP_STORAGE_MERGE_STAMP_H_
#define ILP_STORAGE_MERGE_STAMP_H_

#include <cstdint>
#include <string>

#include "ilp/v1/clock.pb.h"

namespace ilp {

// How far a stamp's wall time may lead its writer's trusted anchor before the
// excess stops counting. Every node must agree on it: it is part of the order.
inline constexpr int64_t kMaxLeadMs = 30LL * 24 * 3600 * 1000;

// The wall time a stamp competes with.
inline int64_t EffectiveWall(const v1::Stamp& s) {
  // Saturating: a forged anchor near INT64_MAX must not overflow.
  const int64_t cap = s.anchor_ms() > INT64_MAX - kMaxLeadMs ? INT64_MAX : s.anchor_ms() + kMaxLeadMs;
  return s.wall_ms() < cap ? s.wall_ms() : cap;
}

// Three-way comparison: <0, 0, >0. An unset stamp (all zero) is the least.
inline int StampCompare(const v1::Stamp& a, const v1::Stamp& b) {
  const int64_t ea = EffectiveWall(a), eb = EffectiveWall(b);
  if (ea != eb) return ea < eb ? -1 : 1;
  if (a.wall_ms() != b.wall_ms()) return a.wall_ms() < b.wall_ms() ? -1 : 1;
  if (a.logical() != b.logical()) return a.logical() < b.logical() ? -1 : 1;
  if (int c = a.node().compare(b.node()); c != 0) return c < 0 ? -1 : 1;
  if (a.anchor_ms() != b.anchor_ms()) return a.anchor_ms() < b.anchor_ms() ? -1 : 1;
  return 0;
}

inline bool StampLess(const v1::Stamp& a, const v1::Stamp& b) { return StampCompare(a, b) < 0; }
inline bool StampEq(const v1::Stamp& a, const v1::Stamp& b) { return StampCompare(a, b) == 0; }
inline bool StampIsZero(const v1::Stamp& s) {
  return s.wall_ms() == 0 && s.logical() == 0 && s.node().empty() && s.anchor_ms() == 0;
}

// "wall.logical@node", for logs and operator output.
std::string StampToString(const v1::Stamp& s);

}  // namespace ilp

#endif  // ILP_STORAGE_MERGE_STAMP_H_
