// Public views of stored CRDT states: what the Records API returns. Views are
// derived, never stored, so they cannot disagree with the state.
#ifndef ILP_STORAGE_MERGE_VIEW_H_
#define ILP_STORAGE_MERGE_VIEW_H_

#include <string>

#include "ilp/v1/records.pb.h"
#include "ilp/v1/state.pb.h"

namespace ilp {

// Names of the add-wins set fields of a patient.
inline constexpr char kIdentifiersSet[] = "identifiers";
inline constexpr char kAllergiesSet[] = "allergies";
inline constexpr char kHouseholdSet[] = "household_members";

// Set keys: "NIK:3171...", the allergy code, the member id.
std::string IdentifierKey(const v1::Identifier& id);

// True if some add of `e` has not been removed.
bool ElementPresent(const v1::SetElement& e);

// REQUIRES: r.has_patient().
v1::Patient PatientView(const v1::Record& r);
// REQUIRES: r.has_referral().
v1::Referral ReferralView(const v1::Record& r);
// REQUIRES: r.has_task().
v1::Task TaskView(const v1::Record& r);
// REQUIRES: the matching body is set.
v1::Encounter EncounterView(const v1::Record& r);
v1::Observation ObservationView(const v1::Record& r);
v1::Immunization ImmunizationView(const v1::Record& r);
v1::ReferralResponse ResponseView(const v1::Record& r);

}  // namespace ilp

#endif  // ILP_STORAGE_MERGE_VIEW_H_
