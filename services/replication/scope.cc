#include "services/replication/scope.h"

#include "absl/strings/match.h"
#include "storage/merge/view.h"

namespace ilp {

ChildScope::ChildScope(const Store* store, std::vector<std::string> area,
                       std::set<std::string> subtree)
    : store_(store), area_(std::move(area)), subtree_(std::move(subtree)) {}

bool ChildScope::VillageInArea(const std::string& village) const {
  if (village.empty()) return false;
  for (const std::string& a : area_) {
    if (absl::StartsWith(village, a)) return true;
  }
  return false;
}

bool ChildScope::PatientInArea(const std::string& patient_id) {
  if (patient_id.empty()) return false;
  auto it = patient_cache_.find(patient_id);
  if (it != patient_cache_.end()) return it->second;
  absl::StatusOr<v1::Record> p = store_->Get(patient_id);
  const bool in = p.ok() && p->has_patient() &&
                  VillageInArea(p->patient().value().address().village_code());
  patient_cache_[patient_id] = in;
  return in;
}

bool ChildScope::Contains(const v1::Record& r) {
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
      return AddressedToSubtree(r.referral().from_node()) ||
             AddressedToSubtree(r.referral().to_node()) || PatientInArea(r.referral().patient_id());
    case v1::Record::kResponse: {
      if (PatientInArea(r.response().patient_id())) return true;
      absl::StatusOr<v1::Record> ref = store_->Get(r.response().referral_id());
      return ref.ok() && ref->has_referral() && AddressedToSubtree(ref->referral().from_node());
    }
    case v1::Record::kTask:
      return AddressedToSubtree(r.task().assignee_node()) || PatientInArea(r.task().patient_id());
    case v1::Record::BODY_NOT_SET:
      return false;
  }
  return false;
}

}  // namespace ilp
