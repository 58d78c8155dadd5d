// Which changes a parent sends down to a child (docs/replication.md):
// records of patients whose home village lies in the child's working area,
// and referrals, back-referrals and tasks addressed to the child's subtree.
// Upward, everything goes.
#ifndef ILP_SERVICES_REPLICATION_SCOPE_H_
#define ILP_SERVICES_REPLICATION_SCOPE_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "ilp/v1/state.pb.h"
#include "storage/store/store.h"

namespace ilp {

class ChildScope {
 public:
  // `area`: the child's area codes (prefixes of village codes). `subtree`:
  // the child and every node below it.
  ChildScope(const Store* store, std::vector<std::string> area, std::set<std::string> subtree);

  // True if the current state of record `id` belongs at the child. A record
  // it needs (the patient, the referral) that is not here means false; any
  // other read error is returned, so a session never skips a change on it.
  ABSL_MUST_USE_RESULT absl::StatusOr<bool> Contains(const v1::Record& state);

  // True if patient `patient_id` lives in the child's area.
  ABSL_MUST_USE_RESULT absl::StatusOr<bool> PatientInArea(const std::string& patient_id);

 private:
  bool VillageInArea(const std::string& village) const;
  bool AddressedToSubtree(const std::string& node) const { return subtree_.count(node) > 0; }

  const Store* store_;
  std::vector<std::string> area_;
  std::set<std::string> subtree_;
  std::map<std::string, bool> patient_cache_;  // per batch
};

}  // namespace ilp

#endif  // ILP_SERVICES_REPLICATION_SCOPE_H_
