// The merge rules of ILP records: a pure function over CRDT states.
//
// Merge(a, b) joins two states (or deltas) of one record. It is commutative,
// associative and idempotent on the state, so replicas that have seen the same
// set of deltas hold the same record whatever the order of arrival. Storage
// calls it; it never calls storage. The rules, per kind, are in docs/merge.md:
//
//   - patients: per-field last-writer-wins by HLC stamp; identifiers,
//     allergies and household members are add-wins (observed-remove) sets;
//   - encounters, observations, immunizations, back-referrals: append-only,
//     with an entered-in-error mark (earliest mark wins);
//   - referrals and tasks: immutable content plus a grow-only set of moves;
//     the state is the move with the latest lifecycle rank (see lifecycle.h);
//   - every record: a grow-only set of external ids (e.g. SATUSEHAT's server
//     id), keyed by (system, value), the smallest stamp of a key kept.
//
// Example:
//   ILP_ASSIGN_OR_RETURN(MergeResult r, Merge(stored, incoming_delta));
//   // r.record is the new state; r.lost lists concurrent writes that lost.
#ifndef ILP_STORAGE_MERGE_MERGE_H_
#define ILP_STORAGE_MERGE_MERGE_H_

#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "ilp/v1/state.pb.h"

namespace ilp {

struct MergeResult {
  v1::Record record;                // the joined state
  std::vector<v1::LostWrite> lost;  // LWW writes that lost to a concurrent write
};

// Joins `a` and `b`. Returns INVALID_ARGUMENT if they are different records
// (ids differ, or bodies of different kinds). An empty Record is the identity.
ABSL_MUST_USE_RESULT absl::StatusOr<MergeResult> Merge(const v1::Record& a, const v1::Record& b);

// Kind name of a record body ("patient", "encounter", ...; "" if unset).
const char* KindName(const v1::Record& r);

// Canonical form: sorts and deduplicates every set so that equal states have
// equal bytes. Merge's output is always canonical.
void Canonicalize(v1::Record* r);

}  // namespace ilp

#endif  // ILP_STORAGE_MERGE_MERGE_H_
