// WatchChanges' part of the access rules: a refused opening is audited, and
// an admitted stream is audited per batch it delivers (records_access.h).
#include <algorithm>
#include <utility>

#include "services/records/records_access.h"

namespace ilp {

absl::Status RecordsAccess::OpenWatch(const Admitted& who) {
  if (!who.ok()) Audit(who, "WatchChanges", {}, {}, who.status());
  return who.status();
}

void RecordsAccess::WatchBatchAudit::Delivered(const v1::Record& r) {
  std::string patient;
  switch (r.body_case()) {
    case v1::Record::kPatient: patient = r.id(); break;
    case v1::Record::kEncounter: patient = r.encounter().patient_id(); break;
    case v1::Record::kObservation: patient = r.observation().patient_id(); break;
    case v1::Record::kImmunization: patient = r.immunization().patient_id(); break;
    case v1::Record::kReferral: patient = r.referral().patient_id(); break;
    case v1::Record::kResponse: patient = r.response().patient_id(); break;
    case v1::Record::kTask: patient = r.task().patient_id(); break;
    default: break;  // revocations: no patient data
  }
  if (!patient.empty() && std::find(patients_.begin(), patients_.end(), patient) == patients_.end()) {
    patients_.push_back(std::move(patient));
  }
  records_.push_back(r.id());
}

RecordsAccess::WatchBatchAudit::~WatchBatchAudit() {
  if (records_.empty()) return;
  access_->Audit(who_, "WatchChanges", std::move(patients_), std::move(records_), absl::OkStatus());
}

}  // namespace ilp
