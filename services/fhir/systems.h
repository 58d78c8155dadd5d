// Identifier systems and code systems SATUSEHAT uses (../shared/domain.md,
// docs/satusehat.md). One place, so every builder and the validator agree.
#ifndef ILP_SERVICES_FHIR_SYSTEMS_H_
#define ILP_SERVICES_FHIR_SYSTEMS_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ilp::fhir {

inline constexpr absl::string_view kNikSystem = "https://fhir.kemkes.go.id/id/nik";
inline constexpr absl::string_view kNikIbuSystem = "https://fhir.kemkes.go.id/id/nik-ibu";
inline constexpr absl::string_view kIhsSystem = "https://fhir.kemkes.go.id/id/ihs-number";
inline constexpr absl::string_view kKfaSystem = "http://sys-ids.kemkes.go.id/kfa";
inline constexpr absl::string_view kLoincSystem = "http://loinc.org";
inline constexpr absl::string_view kUcumSystem = "http://unitsofmeasure.org";
inline constexpr absl::string_view kSnomedSystem = "http://snomed.info/sct";
inline constexpr absl::string_view kActCodeSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ActCode";
inline constexpr absl::string_view kObservationCategorySystem =
    "http://terminology.hl7.org/CodeSystem/observation-category";
inline constexpr absl::string_view kParticipantTypeSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

// The per-Organization identifier system of a resource kind, e.g.
// http://sys-ids.kemkes.go.id/encounter/{org-ihs}. `kind` is the lower-case
// FHIR type: encounter, observation, immunization, servicerequest.
inline std::string OrgIdentifierSystem(absl::string_view kind, absl::string_view org_ihs) {
  return absl::StrCat("http://sys-ids.kemkes.go.id/", kind, "/", org_ihs);
}

}  // namespace ilp::fhir

#endif  // ILP_SERVICES_FHIR_SYSTEMS_H_
