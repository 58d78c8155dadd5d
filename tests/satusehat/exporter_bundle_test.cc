// The SATUSEHAT exporter end to end (exporter_fixture.h): an encounter with
// its observations and immunizations as one transaction Bundle, exactly once
// across lost answers, timeouts and refusals.
#include "tests/satusehat/exporter_fixture.h"

namespace ilp::exporter_testing {
namespace {

TEST_F(ExporterTest, EncounterWithItsObservationsAndImmunizationGoesAsOneTransaction) {
  v1::RecordEncounterRequest req = VisitRequest(Patient(kNik), "pos-melati", "kader-siti", false, true);
  v1::Observation* h = req.add_observations();
  h->set_loinc("8306-3"), h->set_value(76.5), h->set_unit("cm");
  absl::StatusOr<v1::RecordEncounterResponse> v = node_->records()->RecordEncounter(req);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());

  EXPECT_EQ(fake_.posts("Bundle"), 1) << "one transaction";
  EXPECT_EQ(fake_.posts("Encounter") + fake_.posts("Observation") + fake_.posts("Immunization"), 0)
      << "no resource POSTed on its own";
  ASSERT_EQ(fake_.transactions().size(), 1u);
  const nlohmann::json bundle = fake_.transactions()[0];
  EXPECT_EQ(bundle["type"], "transaction");
  ASSERT_EQ(bundle["entry"].size(), 4u);
  const std::string urn = absl::StrCat("urn:uuid:", v->encounter().id());
  EXPECT_EQ(bundle["entry"][0]["fullUrl"], urn);
  EXPECT_EQ(bundle["entry"][0]["request"]["method"], "POST");
  EXPECT_EQ(bundle["entry"][0]["request"]["url"], "Encounter");
  const std::vector<std::string> members = {v->observations(0).id(), v->observations(1).id(),
                                            v->immunizations(0).id()};
  std::set<std::string> member_urns;
  for (size_t i = 1; i < 4; ++i) {
    const nlohmann::json& e = bundle["entry"][i];
    EXPECT_EQ(e["resource"]["encounter"]["reference"], urn) << e.dump();
    EXPECT_EQ(e["request"]["url"], e["resource"]["resourceType"]);
    member_urns.insert(e["fullUrl"].get<std::string>());
  }
  for (const std::string& id : members) EXPECT_EQ(member_urns.count(absl::StrCat("urn:uuid:", id)), 1u) << id;
  EXPECT_TRUE(fhir::ValidateTransactionBundle(bundle).empty());

  // Stored by the server with the urn resolved to the Encounter's new id,
  // and every entry SENT with the id from the transaction-response.
  ASSERT_EQ(fake_.stored("Encounter").size(), 1u);
  const std::string enc_id = fake_.stored("Encounter")[0]["id"];
  EXPECT_EQ(Entry(v->encounter().id())->server_id(), enc_id);
  ASSERT_EQ(fake_.stored("Observation").size(), 2u);
  ASSERT_EQ(fake_.stored("Immunization").size(), 1u);
  std::vector<nlohmann::json> stored = fake_.stored("Observation");
  stored.push_back(fake_.stored("Immunization")[0]);
  for (const nlohmann::json& r : stored) {
    EXPECT_EQ(r["encounter"]["reference"], absl::StrCat("Encounter/", enc_id));
    const std::string record_id = r["identifier"][0]["value"];
    const absl::StatusOr<v1::ExportEntry> e = Entry(record_id);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->state(), v1::EXPORT_SENT);
    EXPECT_EQ(e->server_id(), r["id"].get<std::string>());
  }
  EXPECT_EQ(OrgStatus().sent(), 4u);

  // The bundle and every entry in it pass the official FHIR R4 schema.
  std::vector<nlohmann::json> check = {bundle};
  for (const nlohmann::json& e : bundle["entry"]) check.push_back(e["resource"]);
  EXPECT_EQ(SchemaProblems(check, dir_, "tx"), "");

  // Nothing goes again.
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Bundle"), 1);
}

TEST_F(ExporterTest, ADroppedAnswerAfterTheTransactionLandedIsSettledBySearchAfterRestart) {
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", true, true);
  fake_.QueueFault(testing_fake::Fault::kDropAfterApply);  // applied whole; the answer is lost
  EXPECT_FALSE(node_->exporter()->RunOnce().ok());
  std::vector<std::string> ids = {v.encounter().id(), v.immunizations(0).id()};
  for (const v1::Observation& o : v.observations()) ids.push_back(o.id());
  ASSERT_EQ(ids.size(), 5u);
  for (const std::string& id : ids) EXPECT_EQ(Entry(id)->state(), v1::EXPORT_IN_FLIGHT) << id;

  Restart();  // as after a crash: only the fsynced IN_FLIGHT entries remain
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Bundle"), 1) << "not due before its backoff";
  clock_.Advance(31'000);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Bundle"), 1) << "the Encounter was found by identifier: no second transaction";
  EXPECT_EQ(fake_.posts("Encounter") + fake_.posts("Observation") + fake_.posts("Immunization"), 0);
  for (const char* type : {"Encounter", "Observation", "Immunization"}) {
    for (const nlohmann::json& r : fake_.stored(type)) {
      const std::string record_id = r["identifier"][0]["value"];
      EXPECT_EQ(fake_.CountIdentifier(r["identifier"][0]["system"], record_id), 1);
      const absl::StatusOr<v1::ExportEntry> e = Entry(record_id);
      ASSERT_TRUE(e.ok());
      EXPECT_EQ(e->state(), v1::EXPORT_SENT) << record_id;
      EXPECT_EQ(e->server_id(), r["id"].get<std::string>()) << "recovered by search";
    }
  }
  EXPECT_EQ(fake_.stored("Observation").size(), 3u);
  EXPECT_EQ(OrgStatus().sent(), 5u);
}

// A real timeout: SATUSEHAT stores the transaction but its answer never
// comes, so libcurl gives up after timeout_s. The same process, without a
// restart, settles it by searching, never by a second transaction.
TEST_F(ExporterTest, AnAnswerThatNeverComesTimesOutAndIsSettledBySearch) {
  cfg_.mutable_satusehat()->set_timeout_s(1);
  Restart();
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", true, false);
  fake_.QueueFault(testing_fake::Fault::kStallAfterApply);
  const absl::Status first = node_->exporter()->RunOnce();
  EXPECT_FALSE(first.ok());
  EXPECT_EQ(Entry(v.encounter().id())->state(), v1::EXPORT_IN_FLIGHT) << first;
  ASSERT_EQ(fake_.stored("Encounter").size(), 1u) << "SATUSEHAT stored it; only the answer is missing";

  clock_.Advance(31'000);  // past the first backoff
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Bundle"), 1) << "found by identifier: no second transaction";
  EXPECT_EQ(EncounterIdentifierCount(v.encounter().id()), 1);
  EXPECT_EQ(Entry(v.encounter().id())->server_id(), fake_.stored("Encounter")[0]["id"].get<std::string>());
  for (const v1::Observation& o : v.observations()) EXPECT_EQ(Entry(o.id())->state(), v1::EXPORT_SENT) << o.id();
  EXPECT_EQ(fake_.stored("Observation").size(), 3u);
}

TEST_F(ExporterTest, ATransactionRefusedWith500IsSearchedForThenSentAgainWhole) {
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", true, false);
  fake_.QueueFault(testing_fake::Fault::k500Before);  // not applied: it must go again, whole
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(Entry(v.observations(1).id())->state(), v1::EXPORT_IN_FLIGHT);
  clock_.Advance(30'000);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Bundle"), 2) << "searched, not found, so sent again";
  EXPECT_EQ(fake_.transactions()[1]["entry"].size(), 4u) << "whole, with its observations";
  EXPECT_EQ(Entry(v.observations(1).id())->state(), v1::EXPORT_SENT);
  EXPECT_EQ(EncounterIdentifierCount(v.encounter().id()), 1);
  EXPECT_EQ(fake_.stored("Observation").size(), 3u);
}

TEST_F(ExporterTest, ATransactionRefusedAsDuplicateIsSettledBySearch) {
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", false, true);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  ASSERT_EQ(fake_.posts("Bundle"), 1);
  // Our answer is lost (a store restored from an older backup): the whole
  // visit is pending again, SATUSEHAT has all of it.
  std::map<std::string, std::string> server_ids;
  for (const std::string& id : {v.encounter().id(), v.observations(0).id(), v.immunizations(0).id()}) {
    server_ids[id] = ForgetAnswer(id);
  }
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Bundle"), 2);
  ASSERT_EQ(fake_.transactions()[1]["entry"].size(), 3u);
  EXPECT_EQ(fake_.stored("Encounter").size(), 1u) << "the duplicate transaction stored nothing";
  EXPECT_EQ(fake_.stored("Observation").size(), 1u);
  EXPECT_EQ(fake_.stored("Immunization").size(), 1u);
  for (const auto& [id, server_id] : server_ids) {
    EXPECT_EQ(Entry(id)->state(), v1::EXPORT_SENT) << id;
    EXPECT_EQ(Entry(id)->server_id(), server_id) << id;
  }
  EXPECT_EQ(OrgStatus().rejected(), 0u);
}

TEST_F(ExporterTest, AMemberThatCannotBeMadeValidHoldsTheWholeBundle) {
  v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", false, false);
  // An immunization dated weeks before its visit cannot be sent.
  v1::RecordEncounterRequest req =
      VisitRequest(v.encounter().patient_id(), "pos-melati", "kader-siti", false, true);
  req.mutable_immunizations(0)->mutable_date()->set_month(10);
  req.mutable_immunizations(0)->mutable_date()->set_day(1);
  absl::StatusOr<v1::RecordEncounterResponse> bad = node_->records()->RecordEncounter(req);
  ASSERT_TRUE(bad.ok()) << bad.status();
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());

  EXPECT_EQ(fake_.posts("Bundle"), 1) << "only the good visit";
  EXPECT_EQ(fake_.posts("Encounter") + fake_.posts("Observation") + fake_.posts("Immunization"), 0);
  EXPECT_EQ(Entry(v.encounter().id())->state(), v1::EXPORT_SENT);
  const absl::StatusOr<v1::ExportEntry> e = Entry(bad->encounter().id());
  EXPECT_EQ(e->state(), v1::EXPORT_HELD);
  EXPECT_THAT(e->reason(), HasSubstr(absl::StrCat("held back with its bundle: immunization ",
                                                  bad->immunizations(0).id(), ": Immunization.occurrenceDateTime")));
  EXPECT_THAT(Entry(bad->immunizations(0).id())->reason(), HasSubstr("does not match the time of its encounter"));
  EXPECT_EQ(Entry(bad->observations(0).id())->state(), v1::EXPORT_HELD);
  EXPECT_EQ(Entry(bad->observations(0).id())->reason(),
            absl::StrCat("encounter ", bad->encounter().id(), " is not sent (EXPORT_HELD)"));
  EXPECT_EQ(EncounterIdentifierCount(bad->encounter().id()), 0) << "never half-built";
  EXPECT_EQ(OrgStatus().held(), 3u);
}

TEST_F(ExporterTest, AnObservationArrivingAfterItsEncounterWasSentGoesAloneByServerId) {
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", false, false);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  const std::string enc_server_id = Entry(v.encounter().id())->server_id();
  ASSERT_FALSE(enc_server_id.empty());
  // A later observation of the same visit (as replication can deliver one).
  absl::StatusOr<v1::Record> enc_rec = node_->store()->Get(v.encounter().id());
  ASSERT_TRUE(enc_rec.ok());
  v1::Record late;
  late.set_id(NewUuidV7(kNowMs, &random_));
  *late.mutable_created() = enc_rec->created();
  v1::Observation* o = late.mutable_observation();
  o->set_patient_id(v.encounter().patient_id());
  o->set_encounter_id(v.encounter().id());
  o->set_loinc("8306-3"), o->set_value(76.5), o->set_unit("cm");
  *o->mutable_time() = v.encounter().time();
  ApplyRequest req;
  req.deltas.push_back(late);
  ASSERT_TRUE(node_->store()->Apply(std::move(req)).ok());
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Bundle"), 1);
  EXPECT_EQ(fake_.posts("Observation"), 1) << "alone";
  ASSERT_EQ(fake_.stored("Observation").size(), 2u);
  EXPECT_EQ(fake_.stored("Observation")[1]["encounter"]["reference"], absl::StrCat("Encounter/", enc_server_id));
  EXPECT_EQ(Entry(late.id())->state(), v1::EXPORT_SENT);
  EXPECT_EQ(ServerIdOnRecord(late.id()), fake_.stored("Observation")[1]["id"].get<std::string>());
  EXPECT_EQ(ServerIdOnRecord(v.encounter().id()), enc_server_id);
}


}  // namespace
}  // namespace ilp::exporter_testing
