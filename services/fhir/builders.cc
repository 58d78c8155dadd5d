#include "services/fhir/builders.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "services/fhir/fhir_time.h"
#include "services/fhir/systems.h"
#include "storage/util/ids.h"
#include "storage/util/status_macros.h"

namespace ilp::fhir {
namespace {

using nlohmann::json;
using google::protobuf::util::TimeUtil;

struct LoincInfo {
  const char* display;
  const char* ucum;
  const char* category;  // observation-category code
};

// The measurements ILP records (../shared/domain.md), with the UCUM unit each
// must be sent in. Codes outside the table are sent as vital-signs with the
// unit recorded.
const std::map<std::string, LoincInfo>& LoincTable() {
  static const auto* t = new std::map<std::string, LoincInfo>{
      {"29463-7", {"Body weight", "kg", "vital-signs"}},
      {"8302-2", {"Body height", "cm", "vital-signs"}},
      {"8306-3", {"Body height --lying", "cm", "vital-signs"}},
      {"8287-5", {"Head Occipital-frontal circumference by Tape measure", "cm", "vital-signs"}},
      {"56072-2", {"Circumference Mid upper arm", "cm", "vital-signs"}},
      {"8480-6", {"Systolic blood pressure", "mm[Hg]", "vital-signs"}},
      {"8462-4", {"Diastolic blood pressure", "mm[Hg]", "vital-signs"}},
      {"8310-5", {"Body temperature", "Cel", "vital-signs"}},
      {"8867-4", {"Heart rate", "/min", "vital-signs"}},
      {"9279-1", {"Respiratory rate", "/min", "vital-signs"}},
      {"39156-5", {"Body mass index (BMI) [Ratio]", "kg/m2", "vital-signs"}},
      {"2339-0", {"Glucose [Mass/volume] in Blood", "mg/dL", "laboratory"}},
      {"718-7", {"Hemoglobin [Mass/volume] in Blood", "g/dL", "laboratory"}},
  };
  return *t;
}

json Ref(absl::string_view type, absl::string_view id) {
  return json{{"reference", absl::StrCat(type, "/", id)}};
}

json OrgIdentifier(absl::string_view kind, const std::string& org_ihs, const std::string& value) {
  return json::array({json{{"system", OrgIdentifierSystem(kind, org_ihs)},
                           {"use", "official"},
                           {"value", value}}});
}

absl::Status NotEnteredInError(v1::RecordStatus s, absl::string_view what, const std::string& id) {
  if (s == v1::ENTERED_IN_ERROR) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", id, " is entered-in-error and is not sent"));
  }
  return absl::OkStatus();
}

// The encounter reference of a clinical resource: the bundle-local urn:uuid
// inside a transaction, else Encounter/{server id}.
json EncounterRef(const ClinicalContext& ctx) {
  if (!ctx.encounter_urn.empty()) return json{{"reference", ctx.encounter_urn}};
  return Ref("Encounter", ctx.encounter_server_id);
}

bool IsHomeVisit(v1::EncounterKind k) {
  return k == v1::HOME_VISIT_ROUTINE || k == v1::HOME_VISIT_SPECIAL || k == v1::HOME_VISIT_JOINT;
}

}  // namespace

absl::StatusOr<std::string> PatientSearchIdentifier(const v1::Patient& p) {
  for (const v1::Identifier& id : p.identifiers()) {
    if (id.system() == v1::NIK) return absl::StrCat(kNikSystem, "|", id.value());
  }
  for (const v1::Identifier& id : p.identifiers()) {
    if (id.system() == v1::NIK_IBU) return absl::StrCat(kNikIbuSystem, "|", id.value());
  }
  return absl::NotFoundError(absl::StrCat("patient ", p.id(), " has no NIK and no nik-ibu"));
}

std::string PatientIhs(const v1::Patient& p) {
  for (const v1::Identifier& id : p.identifiers()) {
    if (id.system() == v1::IHS) return id.value();
  }
  return "";
}

std::string ExpectedUcum(const std::string& loinc) {
  auto it = LoincTable().find(loinc);
  return it == LoincTable().end() ? "" : it->second.ucum;
}

absl::StatusOr<json> BuildEncounter(const v1::Encounter& e, const EncounterContext& ctx) {
  ILP_RETURN_IF_ERROR(NotEnteredInError(e.status(), "encounter", e.id()));
  ILP_ASSIGN_OR_RETURN(const std::string t,
                       FhirDateTime(TimeUtil::TimestampToMilliseconds(e.time()),
                                    "Encounter.period.start"));
  const json period{{"start", t}, {"end", t}};
  const bool home = IsHomeVisit(e.kind());
  json enc{
      {"resourceType", "Encounter"},
      {"identifier", OrgIdentifier("encounter", ctx.org_ihs, e.id())},
      {"status", "finished"},
      {"class", {{"system", kActCodeSystem},
                 {"code", home ? "HH" : "AMB"},
                 {"display", home ? "home health" : "ambulatory"}}},
      {"subject", Ref("Patient", ctx.patient_ihs)},
      {"participant",
       json::array({json{{"type", json::array({json{{"coding", json::array({json{
                                                      {"system", kParticipantTypeSystem},
                                                      {"code", "ATND"},
                                                      {"display", "attender"}}})}}})},
                         {"individual", Ref("Practitioner", ctx.practitioner_ihs)}}})},
      {"period", period},
      {"location", json::array({json{{"location", {{"reference", absl::StrCat("Location/", ctx.location_ihs)},
                                                    {"display", ctx.location_name}}}}})},
      {"statusHistory", json::array({json{{"status", "arrived"}, {"period", period}},
                                     json{{"status", "in-progress"}, {"period", period}},
                                     json{{"status", "finished"}, {"period", period}}})},
      {"serviceProvider", Ref("Organization", ctx.org_ihs)},
  };
  if (ctx.location_name.empty()) enc["location"][0]["location"].erase("display");
  return enc;
}

absl::StatusOr<json> BuildObservation(const v1::Observation& o, const ClinicalContext& ctx) {
  ILP_RETURN_IF_ERROR(NotEnteredInError(o.status(), "observation", o.id()));
  ILP_ASSIGN_OR_RETURN(const std::string t,
                       FhirDateTime(TimeUtil::TimestampToMilliseconds(o.time()),
                                    "Observation.effectiveDateTime"));
  auto it = LoincTable().find(o.loinc());
  const char* category = it == LoincTable().end() ? "vital-signs" : it->second.category;
  json coding{{"system", kLoincSystem}, {"code", o.loinc()}};
  if (it != LoincTable().end()) coding["display"] = it->second.display;
  json obs{
      {"resourceType", "Observation"},
      {"identifier", OrgIdentifier("observation", ctx.org_ihs, o.id())},
      {"status", "final"},
      {"category", json::array({json{{"coding", json::array({json{
                                          {"system", kObservationCategorySystem},
                                          {"code", category}}})}}})},
      {"code", {{"coding", json::array({coding})}}},
      {"subject", Ref("Patient", ctx.patient_ihs)},
      {"encounter", EncounterRef(ctx)},
      {"effectiveDateTime", t},
      {"performer", json::array({Ref("Practitioner", ctx.practitioner_ihs)})},
      {"valueQuantity", {{"value", o.value()}, {"unit", o.unit()}, {"system", kUcumSystem},
                         {"code", o.unit()}}},
  };
  return obs;
}

absl::StatusOr<json> BuildImmunization(const v1::Immunization& im, const ClinicalContext& ctx) {
  ILP_RETURN_IF_ERROR(NotEnteredInError(im.status(), "immunization", im.id()));
  ILP_ASSIGN_OR_RETURN(const std::string day, FhirDate(im.date(), "Immunization.occurrenceDateTime"));
  // ILP keeps the date a dose was given; the time is its encounter's. A date
  // more than a day from the visit (any Indonesian zone is within +7..+9 h of
  // UTC) means the two disagree, and nothing is invented to reconcile them.
  ILP_ASSIGN_OR_RETURN(const std::string t, FhirDateTime(ctx.encounter_time_ms,
                                                         "Immunization.occurrenceDateTime"));
  const absl::CivilDay given(im.date().year(), im.date().month(), im.date().day());
  const absl::CivilDay visit = absl::ToCivilDay(absl::FromUnixMillis(ctx.encounter_time_ms),
                                                absl::UTCTimeZone());
  if (given - visit > 1 || visit - given > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Immunization.occurrenceDateTime: immunization ", im.id(), " given on ", day,
        " does not match the time of its encounter (", t, ")"));
  }
  json vaccine{{"system", kKfaSystem}, {"code", im.kfa_code()}};
  if (!im.antigen().empty()) vaccine["display"] = im.antigen();
  json out{
      {"resourceType", "Immunization"},
      {"identifier", OrgIdentifier("immunization", ctx.org_ihs, im.id())},
      {"status", "completed"},
      {"vaccineCode", {{"coding", json::array({vaccine})}}},
      {"patient", Ref("Patient", ctx.patient_ihs)},
      {"encounter", EncounterRef(ctx)},
      {"occurrenceDateTime", t},
      {"primarySource", true},
      {"performer", json::array({json{{"actor", Ref("Practitioner", ctx.practitioner_ihs)}}})},
      {"protocolApplied", json::array({json{{"doseNumberPositiveInt", im.dose_number()}}})},
  };
  if (!im.lot().empty()) out["lotNumber"] = im.lot();
  return out;
}

absl::StatusOr<json> BuildServiceRequest(const v1::Referral& r, const ClinicalContext& ctx) {
  ILP_ASSIGN_OR_RETURN(const std::string authored,
                       FhirDateTime(TimeUtil::TimestampToMilliseconds(r.create_time()),
                                    "ServiceRequest.authoredOn"));
  const char* status = "active";
  if (r.state() == v1::COMPLETED) status = "completed";
  if (r.state() == v1::CANCELLED || r.state() == v1::REJECTED) status = "revoked";
  const char* priority = "routine";
  if (r.priority() == v1::URGENT) priority = "urgent";
  if (r.priority() == v1::EMERGENCY) priority = "stat";
  json sr{
      {"resourceType", "ServiceRequest"},
      {"identifier", OrgIdentifier("servicerequest", ctx.org_ihs, r.id())},
      {"status", status},
      {"intent", "order"},
      {"priority", priority},
      {"code", {{"coding", json::array({json{{"system", kSnomedSystem},
                                             {"code", "3457005"},
                                             {"display", "Patient referral"}}})},
                {"text", "Rujukan"}}},
      {"subject", Ref("Patient", ctx.patient_ihs)},
      {"encounter", EncounterRef(ctx)},
      {"authoredOn", authored},
      {"requester", Ref("Practitioner", ctx.practitioner_ihs)},
  };
  if (!r.reason().empty()) sr["reasonCode"] = json::array({json{{"text", r.reason()}}});
  return sr;
}

absl::StatusOr<std::string> RecordUrn(const std::string& record_id) {
  if (!IsValidUuid(record_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Bundle.entry.fullUrl: record id ", record_id, " is not a lowercase UUID"));
  }
  return absl::StrCat("urn:uuid:", record_id);
}

absl::StatusOr<json> BuildTransactionBundle(const BundleEntry& encounter,
                                            const std::vector<BundleEntry>& members) {
  if (encounter.resource.value("resourceType", "") != "Encounter") {
    return absl::InvalidArgumentError("Bundle.entry[0]: the first entry must be the Encounter");
  }
  ILP_ASSIGN_OR_RETURN(const std::string enc_urn, RecordUrn(encounter.record_id));
  json entries = json::array();
  auto add = [&](const BundleEntry& b, const std::string& urn) {
    const std::string type = b.resource.value("resourceType", "");
    entries.push_back(json{{"fullUrl", urn},
                           {"resource", b.resource},
                           {"request", {{"method", "POST"}, {"url", type}}}});
  };
  add(encounter, enc_urn);
  for (const BundleEntry& m : members) {
    ILP_ASSIGN_OR_RETURN(const std::string urn, RecordUrn(m.record_id));
    const std::string type = m.resource.value("resourceType", "");
    if (type != "Observation" && type != "Immunization") {
      return absl::InvalidArgumentError(absl::StrCat("Bundle.entry: ", type, " ", m.record_id,
                                                     " does not go in an Encounter's bundle"));
    }
    const json* ref = m.resource.contains("encounter") ? &m.resource["encounter"] : nullptr;
    if (ref == nullptr || !ref->is_object() || ref->value("reference", "") != enc_urn) {
      return absl::InvalidArgumentError(absl::StrCat(type, ".encounter: ", type, " ", m.record_id,
                                                     " must reference ", enc_urn, " in the bundle"));
    }
    add(m, urn);
  }
  return json{{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", std::move(entries)}};
}

}  // namespace ilp::fhir
