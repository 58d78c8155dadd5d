// The SATUSEHAT validator refuses each missing required element, naming it.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "services/fhir/builders.h"
#include "services/fhir/validate.h"

namespace ilp::fhir {
namespace {

using google::protobuf::util::TimeUtil;
using nlohmann::json;

constexpr int64_t kVisitMs = 1714962600000;

json ValidEncounter() {
  v1::Encounter e;
  e.set_id("enc-1"), e.set_kind(v1::PUSTU_VISIT);
  *e.mutable_time() = TimeUtil::MillisecondsToTimestamp(kVisitMs);
  return *BuildEncounter(e, EncounterContext{"100011961", "P1", "N1", "L1", "Pustu"});
}

ClinicalContext Ctx() { return ClinicalContext{"100011961", "P1", "N1", "E1", kVisitMs, ""}; }

json ValidObservation() {
  v1::Observation o;
  o.set_id("obs-1"), o.set_loinc("29463-7"), o.set_value(9.5), o.set_unit("kg");
  *o.mutable_time() = TimeUtil::MillisecondsToTimestamp(kVisitMs);
  return *BuildObservation(o, Ctx());
}

json ValidImmunization() {
  v1::Immunization im;
  im.set_id("imm-1"), im.set_kfa_code("93001019"), im.set_dose_number(1);
  im.mutable_date()->set_year(2024), im.mutable_date()->set_month(5), im.mutable_date()->set_day(6);
  return *BuildImmunization(im, Ctx());
}

json ValidServiceRequest() {
  v1::Referral r;
  r.set_id("ref-1"), r.set_state(v1::SENT);
  *r.mutable_create_time() = TimeUtil::MillisecondsToTimestamp(kVisitMs);
  return *BuildServiceRequest(r, Ctx());
}

struct Case {
  const char* name;
  json (*make)();
  const char* remove;    // JSON pointer of the element taken away
  const char* problem;   // the problem the validator must name
};

class MissingElementTest : public testing::TestWithParam<Case> {};

TEST_P(MissingElementTest, IsRefusedNamingTheElement) {
  const Case& c = GetParam();
  json r = c.make();
  ASSERT_TRUE(ValidateForSatusehat(r).empty()) << "the base resource must be valid";
  const json::json_pointer ptr(c.remove);
  json& parent = r[ptr.parent_pointer()];
  if (parent.is_array()) {
    parent.erase(std::stoul(ptr.back()));
  } else {
    parent.erase(ptr.back());
  }
  const std::vector<std::string> problems = ValidateForSatusehat(r);
  EXPECT_NE(std::find(problems.begin(), problems.end(), c.problem), problems.end())
      << "got: " << testing::PrintToString(problems);
}

INSTANTIATE_TEST_SUITE_P(
    Satusehat, MissingElementTest,
    testing::Values(
        Case{"EncIdentifier", ValidEncounter, "/identifier/0/value", "Encounter.identifier.0.value: is required"},
        Case{"EncStatus", ValidEncounter, "/status", "Encounter.status: is required"},
        Case{"EncHistory", ValidEncounter, "/statusHistory/2", "Encounter.statusHistory.2.status: is required"},
        Case{"EncClass", ValidEncounter, "/class/code", "Encounter.class.code: is required"},
        Case{"EncSubject", ValidEncounter, "/subject", "Encounter.subject: reference Patient/{id} is required"},
        Case{"EncParticipant", ValidEncounter, "/participant",
             "Encounter.participant.0.individual: reference Practitioner/{id} is required"},
        Case{"EncPeriod", ValidEncounter, "/period/start", "Encounter.period.start: is required"},
        Case{"EncLocation", ValidEncounter, "/location",
             "Encounter.location.0.location: reference Location/{id} is required"},
        Case{"EncProvider", ValidEncounter, "/serviceProvider",
             "Encounter.serviceProvider: reference Organization/{id} is required"},
        Case{"ObsStatus", ValidObservation, "/status", "Observation.status: is required"},
        Case{"ObsCategory", ValidObservation, "/category", "Observation.category.0.coding.0.system: is required"},
        Case{"ObsCode", ValidObservation, "/code/coding/0/code", "Observation.code.coding.0.code: is required"},
        Case{"ObsSubject", ValidObservation, "/subject", "Observation.subject: reference Patient/{id} is required"},
        Case{"ObsEncounter", ValidObservation, "/encounter",
             "Observation.encounter: reference Encounter/{id} is required"},
        Case{"ObsEffective", ValidObservation, "/effectiveDateTime", "Observation.effectiveDateTime: is required"},
        Case{"ObsValue", ValidObservation, "/valueQuantity/value", "Observation.valueQuantity.value: a number is required"},
        Case{"ObsUnit", ValidObservation, "/valueQuantity/system", "Observation.valueQuantity.system: is required"},
        Case{"ImmStatus", ValidImmunization, "/status", "Immunization.status: is required"},
        Case{"ImmVaccine", ValidImmunization, "/vaccineCode/coding/0/code", "Immunization.vaccineCode.coding.0.code: is required"},
        Case{"ImmPatient", ValidImmunization, "/patient", "Immunization.patient: reference Patient/{id} is required"},
        Case{"ImmEncounter", ValidImmunization, "/encounter", "Immunization.encounter: reference Encounter/{id} is required"},
        Case{"ImmOccurrence", ValidImmunization, "/occurrenceDateTime", "Immunization.occurrenceDateTime: is required"},
        Case{"ImmPerformer", ValidImmunization, "/performer",
             "Immunization.performer.0.actor: reference Practitioner/{id} is required"},
        Case{"SrIdentifier", ValidServiceRequest, "/identifier", "ServiceRequest.identifier.0.system: is required"},
        Case{"SrSubject", ValidServiceRequest, "/subject", "ServiceRequest.subject: reference Patient/{id} is required"},
        Case{"SrEncounter", ValidServiceRequest, "/encounter", "ServiceRequest.encounter: reference Encounter/{id} is required"},
        Case{"SrRequester", ValidServiceRequest, "/requester", "ServiceRequest.requester: reference Practitioner/{id} is required"}),
    [](const testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST(ValidateTest, EmptyIdsInReferencesAreRefused) {
  v1::Encounter e;
  e.set_id("enc-1"), e.set_kind(v1::PUSTU_VISIT);
  *e.mutable_time() = TimeUtil::MillisecondsToTimestamp(kVisitMs);
  json r = *BuildEncounter(e, EncounterContext{"100011961", "", "", "L1", ""});
  const std::vector<std::string> problems = ValidateForSatusehat(r);
  EXPECT_EQ(problems, (std::vector<std::string>{
                          "Encounter.subject: reference Patient/{id} is required",
                          "Encounter.participant.0.individual: reference Practitioner/{id} is required"}));
}

TEST(ValidateTest, TimesMustBeUtcAndNotBeforeJune2014) {
  json r = ValidObservation();
  r["effectiveDateTime"] = "2024-05-06T09:30:00+07:00";
  EXPECT_EQ(ValidateForSatusehat(r), (std::vector<std::string>{
      "Observation.effectiveDateTime: must be a dateTime in UTC (+00:00) not before 2014-06-03"}));
  r["effectiveDateTime"] = "2014-06-02T23:00:00+00:00";
  EXPECT_EQ(ValidateForSatusehat(r).size(), 1u);
}

TEST(ValidateTest, UnitMustBeTheUcumOfItsLoincCode) {
  json r = ValidObservation();
  r["valueQuantity"]["code"] = "g";
  EXPECT_EQ(ValidateForSatusehat(r), (std::vector<std::string>{
      "Observation.valueQuantity.code: must be UCUM kg for this LOINC code"}));
}

TEST(ValidateTest, OrganizationIdentifierSystemIsRequired) {
  json r = ValidEncounter();
  r["identifier"][0]["system"] = "http://sys-ids.kemkes.go.id/encounter/";
  EXPECT_EQ(ValidateForSatusehat(r), (std::vector<std::string>{
      "Encounter.identifier.0.system: must be http://sys-ids.kemkes.go.id/encounter/{org-ihs}"}));
}

TEST(ValidateTest, OtherResourceTypesAreNotExported) {
  EXPECT_EQ(ValidateForSatusehat(json{{"resourceType", "Patient"}}),
            (std::vector<std::string>{"Patient.resourceType: is not exported to SATUSEHAT"}));
  EXPECT_EQ(ValidateForSatusehat(json::array()), (std::vector<std::string>{"resourceType: is required"}));
}

constexpr char kEncUuid[] = "0190a1b2-0000-7000-8000-000000000001";
constexpr char kObsUuid[] = "0190a1b2-0000-7000-8000-000000000002";

// An Encounter and one Observation referencing it by urn:uuid.
json ValidBundle() {
  v1::Encounter e;
  e.set_id(kEncUuid), e.set_kind(v1::PUSTU_VISIT);
  *e.mutable_time() = TimeUtil::MillisecondsToTimestamp(kVisitMs);
  const json enc = *BuildEncounter(e, EncounterContext{"100011961", "P1", "N1", "L1", "Pustu"});
  v1::Observation o;
  o.set_id(kObsUuid), o.set_loinc("29463-7"), o.set_value(9.5), o.set_unit("kg");
  *o.mutable_time() = TimeUtil::MillisecondsToTimestamp(kVisitMs);
  ClinicalContext ctx = Ctx();
  ctx.encounter_urn = absl::StrCat("urn:uuid:", kEncUuid);
  return *BuildTransactionBundle(BundleEntry{kEncUuid, enc}, {BundleEntry{kObsUuid, *BuildObservation(o, ctx)}});
}

bool Names(const std::vector<std::string>& problems, const std::string& want) {
  for (const std::string& p : problems) {
    if (p == want) return true;
  }
  return false;
}

TEST(TransactionBundleTest, AValidBundleHasNoProblems) {
  const std::vector<std::string> problems = ValidateTransactionBundle(ValidBundle());
  EXPECT_TRUE(problems.empty()) << problems[0];
}

TEST(TransactionBundleTest, AUrnReferenceIsValidOnlyInsideItsBundle) {
  const json obs = ValidBundle()["entry"][1]["resource"];
  EXPECT_TRUE(Names(ValidateForSatusehat(obs), "Observation.encounter: reference Encounter/{id} is required"));
  EXPECT_TRUE(ValidateBundleMember(obs, absl::StrCat("urn:uuid:", kEncUuid)).empty());
  EXPECT_TRUE(Names(ValidateBundleMember(obs, absl::StrCat("urn:uuid:", kObsUuid)),
                    "Observation.encounter: reference Encounter/{id} is required"));
  json b = ValidBundle();
  b["entry"][1]["resource"]["encounter"]["reference"] = "urn:uuid:0190a1b2-0000-7000-8000-0000000000ff";
  EXPECT_TRUE(Names(ValidateTransactionBundle(b),
                    "entry[1] Observation.encounter: reference Encounter/{id} is required"));
  // A urn naming an entry of another type is no Encounter either.
  b["entry"][1]["resource"]["encounter"]["reference"] = absl::StrCat("urn:uuid:", kObsUuid);
  EXPECT_TRUE(Names(ValidateTransactionBundle(b),
                    "entry[1] Observation.encounter: reference Encounter/{id} is required"));
}

TEST(TransactionBundleTest, EntryProblemsAreNamed) {
  json b = ValidBundle();
  b["type"] = "batch";
  b["entry"][1]["request"]["method"] = "PUT";
  b["entry"][1]["fullUrl"] = b["entry"][0]["fullUrl"];
  b["entry"][0]["resource"].erase("subject");
  const std::vector<std::string> p = ValidateTransactionBundle(b);
  EXPECT_TRUE(Names(p, "Bundle.type: must be transaction"));
  EXPECT_TRUE(Names(p, "entry[1].request: must be POST Observation"));
  EXPECT_TRUE(Names(p, absl::StrCat("entry[1].fullUrl: urn:uuid:", kEncUuid, " appears twice")));
  EXPECT_TRUE(Names(p, "entry[0] Encounter.subject: reference Patient/{id} is required"));
  json first = ValidBundle();
  std::swap(first["entry"][0], first["entry"][1]);
  EXPECT_TRUE(Names(ValidateTransactionBundle(first), "entry[0].resource: must be the Encounter"));
  json no_urn = ValidBundle();
  no_urn["entry"][1]["fullUrl"] = "Observation/1";
  EXPECT_TRUE(Names(ValidateTransactionBundle(no_urn), "entry[1].fullUrl: must be urn:uuid:<lowercase uuid>"));
  EXPECT_TRUE(Names(ValidateTransactionBundle(json{{"resourceType", "Bundle"}, {"type", "transaction"}}),
                    "Bundle.entry: is required"));
}

}  // namespace
}  // namespace ilp::fhir
