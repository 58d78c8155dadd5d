#include "services/replication/scope.h"

#include "services/records/validate.h"
#include "storage/merge/view.h"
#include "storage/util/status_macros.h"

namespace ilp {

ChildScope::ChildScope(const Store* store, std::vector<std::string> area,
                       std::set<std::string> subtree)
    : store_(store), area_(std::move(area)), subtree_(std::move(subtree)) {}

bool ChildScope::VillageInArea(const std::string& village) const {
  return !village.empty() && AreaWithin(village, area_);
}

absl::StatusOr<bool> ChildScope::PatientInArea(const std::string& patient_id) {
  if (patient_id.empty()) return false;
  auto it = patient_cache_.find(patient_id);
  if (it != patient_cache_.end()) return it->second;
  absl::StatusOr<v1::Record> p = store_->Get(patient_id);
  if (!p.ok() && !absl::IsNotFound(p.status())) return p.status();
  const bool in = p.ok() && p->has_patient() &&
                  VillageInArea(p->patient().value().address().village_code());
  patient_cache_[patient_id] = in;
  return in;
}

absl::StatusOr<bool> ChildScope::Contains(const v1::Record& r) {
  switch (r.body_case()) {
    case v1::Record::kPatient:
      return VillageInArea(r.patient().value().address().village_code());
    case v1::Record::kEncounter:
      return PatientInArea(r.encounter().patient_id());
    case v1::Record::kObservation:
      return PatientInArea(r.observation().patient_id());
    case v1::Record::kImmunization:
      return PatientInArea(r.immunization().patient_id());
    case v1::Record::kReferral:
      if (AddressedToSubtree(r.referral().from_node()) ||
          AddressedToSubtree(r.referral().to_node())) {
        return true;
      }
      return PatientInArea(r.referral().patient_id());
    case v1::Record::kResponse: {
      ILP_ASSIGN_OR_RETURN(const bool in, PatientInArea(r.response().patient_id()));
      if (in) return true;
      absl::StatusOr<v1::Record> ref = store_->Get(r.response().referral_id());
      if (!ref.ok() && !absl::IsNotFound(ref.status())) return ref.status();
      return ref.ok() && ref->has_referral() && AddressedToSubtree(ref->referral().from_node());
    }
    case v1::Record::kTask:
      if (AddressedToSubtree(r.task().assignee_node())) return true;
      return PatientInArea(r.task().patient_id());
    case v1::Record::kRevocation:  // every node refuses a revoked token
      return true;
    case v1::Record::kAudit:  // the trail goes up only
    case v1::Record::BODY_NOT_SET:
      return false;
  }
  return false;
}

}  // namespace ilp
