// SATUSEHAT's required elements, checked on a built resource before it is
// sent: the last guard that nothing leaves half-built. Each problem names the
// FHIR path and the rule, e.g. "Encounter.subject: reference Patient/{ihs} is
// required". The exporter holds a resource with problems back with them as the
// reason (docs/satusehat.md).
//
//   std::vector<std::string> problems = ValidateForSatusehat(resource);
//   if (!problems.empty()) hold(absl::StrJoin(problems, "; "));
#ifndef ILP_SERVICES_FHIR_VALIDATE_H_
#define ILP_SERVICES_FHIR_VALIDATE_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace ilp::fhir {

// Problems of `resource` (Encounter, Observation, Immunization or
// ServiceRequest) against SATUSEHAT's rules; empty when it may be sent. Also
// checks every dateTime is UTC "+00:00" and not before 2014-06-03. A resource
// of another type is one problem.
std::vector<std::string> ValidateForSatusehat(const nlohmann::json& resource);

// As ValidateForSatusehat, for a resource going in the transaction Bundle
// of the Encounter whose fullUrl is `encounter_urn`: that urn is accepted as
// an Encounter reference.
std::vector<std::string> ValidateBundleMember(const nlohmann::json& resource, const std::string& encounter_urn);

// Problems of a transaction Bundle (BuildTransactionBundle): type
// "transaction"; the Encounter first; every entry with a unique fullUrl
// "urn:uuid:<lowercase uuid>" and request POST to its resourceType; every
// resource passing ValidateForSatusehat, where an encounter reference may be
// the fullUrl of the bundle's Encounter entry. Each problem names its entry,
// e.g. "entry[2] Observation.encounter: reference Encounter/{id} is required".
// Empty when the whole bundle may be sent.
std::vector<std::string> ValidateTransactionBundle(const nlohmann::json& bundle);

}  // namespace ilp::fhir

#endif  // ILP_SERVICES_FHIR_VALIDATE_H_
