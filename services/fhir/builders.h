// FHIR R4 resources for SATUSEHAT, built from ILP records: one pure function
// per resource, no I/O. The caller resolves what ILP does not hold itself (the
// patient's and practitioner's IHS numbers, the Organization and Location ids,
// the Encounter's server id) into a context; a builder fails with
// INVALID_ARGUMENT naming the FHIR path when the record cannot be expressed
// (a date before 2014-06-03, an entered-in-error record). Every output is then
// checked by ValidateForSatusehat (validate.h) before it is sent.
//
//   EncounterContext ctx{org_ihs, patient_ihs, practitioner_ihs, location_ihs, "Posyandu Melati"};
//   ILP_ASSIGN_OR_RETURN(nlohmann::json enc, BuildEncounter(encounter, ctx));
//
// The FHIR identifier of every resource is the ILP record id under the
// Organization's system (systems.h), so a resend is recognisable as the same
// resource: that is what makes export exactly-once (docs/satusehat.md).
#ifndef ILP_SERVICES_FHIR_BUILDERS_H_
#define ILP_SERVICES_FHIR_BUILDERS_H_

#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "ilp/v1/records.pb.h"
#include "nlohmann/json.hpp"

namespace ilp::fhir {

// Everything an Encounter needs that the ILP record does not carry.
struct EncounterContext {
  std::string org_ihs;           // serviceProvider, identifier system
  std::string patient_ihs;       // subject Patient/{ihs}
  std::string practitioner_ihs;  // participant.individual Practitioner/{ihs}
  std::string location_ihs;      // location.location Location/{id}
  std::string location_name;     // location.location.display
};

// Everything an Observation, Immunization or ServiceRequest needs.
struct ClinicalContext {
  std::string org_ihs;             // identifier system
  std::string patient_ihs;         // subject / patient
  std::string practitioner_ihs;    // performer / requester
  std::string encounter_server_id; // Encounter/{id} as SATUSEHAT numbered it
  int64_t encounter_time_ms = 0;   // the visit time (ServiceRequest.occurrence fallback)
  // Inside a transaction Bundle: the Encounter entry's fullUrl
  // ("urn:uuid:..."), used as the encounter reference instead of
  // Encounter/{encounter_server_id}.
  std::string encounter_urn;
};

// The search parameter value that finds a patient's IHS number in SATUSEHAT:
// "https://fhir.kemkes.go.id/id/nik|<NIK>", or the nik-ibu system for a
// newborn known only by the mother's NIK. NOT_FOUND when the patient has
// neither. The value holds a NIK: never log it.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> PatientSearchIdentifier(const v1::Patient& p);

// The patient's IHS number if the record has one, else "".
std::string PatientIhs(const v1::Patient& p);

// Encounter: identifier, status finished with its statusHistory (arrived,
// in-progress, finished), class AMB (or HH for a home visit), subject,
// participant, period, location and serviceProvider. ILP records one time per
// visit, so every period starts and ends at it.
ABSL_MUST_USE_RESULT absl::StatusOr<nlohmann::json> BuildEncounter(const v1::Encounter& e,
                                                                   const EncounterContext& ctx);

// Observation: status final, category (vital-signs, or laboratory for lab
// codes), LOINC code, subject, encounter, effectiveDateTime, performer and a
// UCUM valueQuantity. Blood pressure arrives as two ILP observations (8480-6
// systolic, 8462-4 diastolic) and leaves as two Observations.
ABSL_MUST_USE_RESULT absl::StatusOr<nlohmann::json> BuildObservation(const v1::Observation& o,
                                                                     const ClinicalContext& ctx);

// Immunization: status completed, KFA vaccineCode, patient, encounter,
// occurrenceDateTime (the date given), performer, lot and dose number.
ABSL_MUST_USE_RESULT absl::StatusOr<nlohmann::json> BuildImmunization(const v1::Immunization& im,
                                                                      const ClinicalContext& ctx);

// ServiceRequest for a referral: identifier under servicerequest/{org},
// status from the referral state, intent order, priority, SNOMED "patient
// referral" code, subject, encounter, requester, reasonCode and authoredOn.
ABSL_MUST_USE_RESULT absl::StatusOr<nlohmann::json> BuildServiceRequest(const v1::Referral& r,
                                                                        const ClinicalContext& ctx);

// The fullUrl of a record's entry in a transaction Bundle: "urn:uuid:<id>".
// ILP record ids are lowercase UUIDs (storage/util/ids.h), so the record id
// is itself the deterministic uuid: a retry builds the identical Bundle.
// INVALID_ARGUMENT when `record_id` is not a lowercase UUID.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> RecordUrn(const std::string& record_id);

// One entry of a transaction Bundle: a built resource and its record id.
struct BundleEntry {
  std::string record_id;
  nlohmann::json resource;
};

// A FHIR R4 Bundle of type "transaction": the Encounter first, then
// `members` (its Observations and Immunizations, in the given order). Each
// entry has fullUrl RecordUrn(record id) and request {POST, <resourceType>};
// every member must reference the Encounter by its urn:uuid (built with
// ClinicalContext::encounter_urn). Deterministic: no timestamps, no random
// ids. INVALID_ARGUMENT naming the entry when a member does not reference
// the Encounter's urn, or a record id is not a UUID. Check the result with
// ValidateTransactionBundle (validate.h) before sending.
ABSL_MUST_USE_RESULT absl::StatusOr<nlohmann::json> BuildTransactionBundle(
    const BundleEntry& encounter, const std::vector<BundleEntry>& members);

// The UCUM unit a known LOINC code must be sent in ("" when the code is not
// in the table, e.g. 29463-7 -> "kg").
std::string ExpectedUcum(const std::string& loinc);

}  // namespace ilp::fhir

#endif  // ILP_SERVICES_FHIR_BUILDERS_H_
