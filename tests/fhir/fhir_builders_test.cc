// The FHIR builders against expected JSON, field for field.
#include <gtest/gtest.h>

#include <fstream>

#include "google/protobuf/util/time_util.h"
#include "services/fhir/builders.h"
#include "services/fhir/fhir_time.h"
#include "services/fhir/validate.h"
#include "storage/util/status_macros.h"

namespace ilp::fhir {
namespace {

using google::protobuf::util::TimeUtil;
using nlohmann::json;

// 2024-05-06T09:30:00+07:00 (WIB) is 02:30 UTC.
constexpr int64_t kVisitMs = 1714962600000;

v1::Encounter PosyanduVisit() {
  v1::Encounter e;
  e.set_id("0190a1b2-0000-7000-8000-000000000001");
  e.set_patient_id("0190a1b2-0000-7000-8000-0000000000aa");
  e.set_kind(v1::POSYANDU_SESSION);
  e.set_node("pos-melati");
  e.set_performer("kader-siti");
  *e.mutable_time() = TimeUtil::MillisecondsToTimestamp(kVisitMs);
  return e;
}

// An expected resource from tests/fhir/golden/ (also checked against the
// official FHIR R4 JSON schema by the fhir_r4_schema test).
json Golden(const std::string& name) {
  std::ifstream in(std::string(ILP_SOURCE_DIR) + "/tests/fhir/golden/" + name);
  EXPECT_TRUE(in) << name;
  return json::parse(in);
}

ClinicalContext Clinical() {
  return ClinicalContext{"100011961", "P02478375538", "N10000001", "enc-server-1", kVisitMs, ""};
}

TEST(FhirTimeTest, TimesAreUtcWithExplicitOffset) {
  EXPECT_EQ(*FhirDateTime(kVisitMs, "x"), "2024-05-06T02:30:00+00:00");
}

TEST(FhirTimeTest, NothingBeforeTheThirdOfJune2014) {
  EXPECT_TRUE(FhirDateTime(kEarliestMs, "x").ok());
  absl::StatusOr<std::string> early = FhirDateTime(kEarliestMs - 1000, "Encounter.period.start");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().message(),
            "Encounter.period.start: 2014-06-02T23:59:59+00:00 is before 2014-06-03, which SATUSEHAT refuses");
  v1::Date d;
  d.set_year(2014), d.set_month(6), d.set_day(2);
  EXPECT_FALSE(FhirDate(d, "x").ok());
  d.set_day(31);
  EXPECT_FALSE(FhirDate(d, "x").ok()) << "June has 30 days";
}

TEST(FhirBuildersTest, PosyanduEncounterMatchesExpectedJson) {
  const EncounterContext ctx{"100011961", "P02478375538", "N10000001", "b017aa54-f1df-4ec2-9d84-8823815d7228",
                             "Posyandu Melati"};
  absl::StatusOr<json> got = BuildEncounter(PosyanduVisit(), ctx);
  ASSERT_TRUE(got.ok()) << got.status();
  const json want = Golden("encounter-posyandu.json");
  EXPECT_EQ(*got, want) << got->dump(2);
  EXPECT_TRUE(ValidateForSatusehat(*got).empty());
}

TEST(FhirBuildersTest, HomeVisitIsClassHH) {
  v1::Encounter e = PosyanduVisit();
  e.set_kind(v1::HOME_VISIT_SPECIAL);
  absl::StatusOr<json> got = BuildEncounter(e, EncounterContext{"1", "P1", "N1", "L1", ""});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["class"]["code"], "HH");
  EXPECT_FALSE((*got)["location"][0]["location"].contains("display"));
}

TEST(FhirBuildersTest, BloodPressureIsTwoLoincObservationsInMmHg) {
  v1::Observation sys;
  sys.set_id("obs-sys"), sys.set_loinc("8480-6"), sys.set_value(120), sys.set_unit("mm[Hg]");
  *sys.mutable_time() = TimeUtil::MillisecondsToTimestamp(kVisitMs);
  v1::Observation dia = sys;
  dia.set_id("obs-dia"), dia.set_loinc("8462-4"), dia.set_value(80);
  absl::StatusOr<json> s = BuildObservation(sys, Clinical());
  absl::StatusOr<json> d = BuildObservation(dia, Clinical());
  ASSERT_TRUE(s.ok() && d.ok());
  const json want = Golden("observation-systolic.json");
  EXPECT_EQ(*s, want) << s->dump(2);
  EXPECT_EQ((*d)["code"]["coding"][0]["code"], "8462-4");
  EXPECT_EQ((*d)["code"]["coding"][0]["display"], "Diastolic blood pressure");
  EXPECT_TRUE(ValidateForSatusehat(*s).empty());
  EXPECT_TRUE(ValidateForSatusehat(*d).empty());
}

TEST(FhirBuildersTest, ImmunizationCarriesKfaCodeAndTheVisitTime) {
  v1::Immunization im;
  im.set_id("imm-1"), im.set_kfa_code("93001019"), im.set_antigen("BCG"), im.set_dose_number(1);
  im.set_lot("B123");
  im.mutable_date()->set_year(2024), im.mutable_date()->set_month(5), im.mutable_date()->set_day(6);
  absl::StatusOr<json> got = BuildImmunization(im, Clinical());
  ASSERT_TRUE(got.ok()) << got.status();
  const json want = Golden("immunization-bcg.json");
  EXPECT_EQ(*got, want) << got->dump(2);
  EXPECT_TRUE(ValidateForSatusehat(*got).empty());
}

TEST(FhirBuildersTest, ImmunizationDateFarFromItsVisitIsRefused) {
  v1::Immunization im;
  im.set_id("imm-2"), im.set_kfa_code("93001019"), im.set_dose_number(1);
  im.mutable_date()->set_year(2024), im.mutable_date()->set_month(4), im.mutable_date()->set_day(1);
  absl::StatusOr<json> got = BuildImmunization(im, Clinical());
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("does not match the time of its encounter"), std::string::npos);
}

TEST(FhirBuildersTest, ReferralIsAServiceRequest) {
  v1::Referral r;
  r.set_id("ref-1"), r.set_reason("weight faltering 2 months"), r.set_priority(v1::URGENT);
  r.set_state(v1::SENT);
  *r.mutable_create_time() = TimeUtil::MillisecondsToTimestamp(kVisitMs);
  absl::StatusOr<json> got = BuildServiceRequest(r, Clinical());
  ASSERT_TRUE(got.ok()) << got.status();
  const json want = Golden("servicerequest-referral.json");
  EXPECT_EQ(*got, want) << got->dump(2);
  EXPECT_TRUE(ValidateForSatusehat(*got).empty());
  r.set_state(v1::CANCELLED);
  EXPECT_EQ((*BuildServiceRequest(r, Clinical()))["status"], "revoked");
}

TEST(FhirBuildersTest, PatientLookupByNikThenMothersNik) {
  v1::Patient p;
  p.set_id("pat-1");
  EXPECT_TRUE(absl::IsNotFound(PatientSearchIdentifier(p).status()));
  v1::Identifier* ibu = p.add_identifiers();
  ibu->set_system(v1::NIK_IBU), ibu->set_value("5371034507900002");
  EXPECT_EQ(*PatientSearchIdentifier(p), "https://fhir.kemkes.go.id/id/nik-ibu|5371034507900002");
  v1::Identifier* nik = p.add_identifiers();
  nik->set_system(v1::NIK), nik->set_value("5371030101240001");
  EXPECT_EQ(*PatientSearchIdentifier(p), "https://fhir.kemkes.go.id/id/nik|5371030101240001");
  EXPECT_EQ(PatientIhs(p), "");
  v1::Identifier* ihs = p.add_identifiers();
  ihs->set_system(v1::IHS), ihs->set_value("P02478375538");
  EXPECT_EQ(PatientIhs(p), "P02478375538");
}

TEST(FhirBuildersTest, EnteredInErrorRecordsAreNotBuilt) {
  v1::Encounter e = PosyanduVisit();
  e.set_status(v1::ENTERED_IN_ERROR);
  EXPECT_FALSE(BuildEncounter(e, EncounterContext{"1", "P1", "N1", "L1", ""}).ok());
}

// The encounter of PosyanduVisit() with two observations and one
// immunization, as its transaction Bundle. Record ids are UUIDs, as ILP's are.
absl::StatusOr<json> PosyanduBundle() {
  const EncounterContext ectx{"100011961", "P02478375538", "N10000001", "b017aa54-f1df-4ec2-9d84-8823815d7228",
                              "Posyandu Melati"};
  const v1::Encounter e = PosyanduVisit();
  ILP_ASSIGN_OR_RETURN(const json enc, BuildEncounter(e, ectx));
  ILP_ASSIGN_OR_RETURN(const std::string urn, RecordUrn(e.id()));
  ClinicalContext ctx = Clinical();
  ctx.encounter_server_id = "";
  ctx.encounter_urn = urn;
  v1::Observation weight;
  weight.set_id("0190a1b2-0000-7000-8000-000000000002");
  weight.set_loinc("29463-7"), weight.set_value(9.4), weight.set_unit("kg");
  *weight.mutable_time() = TimeUtil::MillisecondsToTimestamp(kVisitMs);
  v1::Observation height = weight;
  height.set_id("0190a1b2-0000-7000-8000-000000000003");
  height.set_loinc("8306-3"), height.set_value(76.5), height.set_unit("cm");
  v1::Immunization bcg;
  bcg.set_id("0190a1b2-0000-7000-8000-000000000004");
  bcg.set_kfa_code("93001019"), bcg.set_antigen("BCG"), bcg.set_dose_number(1);
  bcg.mutable_date()->set_year(2024), bcg.mutable_date()->set_month(5), bcg.mutable_date()->set_day(6);
  ILP_ASSIGN_OR_RETURN(const json w, BuildObservation(weight, ctx));
  ILP_ASSIGN_OR_RETURN(const json h, BuildObservation(height, ctx));
  ILP_ASSIGN_OR_RETURN(const json b, BuildImmunization(bcg, ctx));
  return BuildTransactionBundle(BundleEntry{e.id(), enc},
                                {BundleEntry{weight.id(), w}, BundleEntry{height.id(), h}, BundleEntry{bcg.id(), b}});
}

TEST(FhirBundleTest, EncounterWithItsObservationsAndImmunizationIsOneTransaction) {
  absl::StatusOr<json> got = PosyanduBundle();
  ASSERT_TRUE(got.ok()) << got.status();
  const json want = Golden("bundle-transaction.json");
  EXPECT_EQ(*got, want) << got->dump(2);
  EXPECT_EQ((*got)["entry"][0]["fullUrl"], "urn:uuid:0190a1b2-0000-7000-8000-000000000001");
  EXPECT_EQ((*got)["entry"][0]["request"], (json{{"method", "POST"}, {"url", "Encounter"}}));
  for (size_t i = 1; i < 4; ++i) {
    const json& r = (*got)["entry"][i]["resource"];
    EXPECT_EQ(r["encounter"]["reference"], "urn:uuid:0190a1b2-0000-7000-8000-000000000001") << i;
  }
  const std::vector<std::string> problems = ValidateTransactionBundle(*got);
  EXPECT_TRUE(problems.empty()) << problems[0];
  // A retry builds the identical bundle: nothing random, no timestamp.
  EXPECT_EQ(PosyanduBundle()->dump(), got->dump());
}

TEST(FhirBundleTest, UrnIsTheRecordIdWhichMustBeAUuid) {
  EXPECT_EQ(*RecordUrn("0190a1b2-0000-7000-8000-000000000001"), "urn:uuid:0190a1b2-0000-7000-8000-000000000001");
  EXPECT_TRUE(absl::IsInvalidArgument(RecordUrn("enc-1").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(RecordUrn("0190A1B2-0000-7000-8000-000000000001").status()));
}

TEST(FhirBundleTest, AMemberNotReferencingTheEncountersUrnIsRefused) {
  const json enc = *BuildEncounter(PosyanduVisit(), EncounterContext{"1", "P1", "N1", "L1", ""});
  v1::Observation o;
  o.set_id("0190a1b2-0000-7000-8000-000000000002");
  o.set_loinc("29463-7"), o.set_value(9.4), o.set_unit("kg");
  *o.mutable_time() = TimeUtil::MillisecondsToTimestamp(kVisitMs);
  const json by_server_id = *BuildObservation(o, Clinical());  // Encounter/enc-server-1
  absl::StatusOr<json> b = BuildTransactionBundle(BundleEntry{PosyanduVisit().id(), enc},
                                                  {BundleEntry{o.id(), by_server_id}});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("must reference urn:uuid:0190a1b2-0000-7000-8000-000000000001"),
            std::string::npos)
      << b.status();
}

}  // namespace
}  // namespace ilp::fhir
