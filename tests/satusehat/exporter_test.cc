// The SATUSEHAT exporter end to end (exporter_fixture.h): resources sent
// one by one, held back, retried, refused, and ilpctl satusehat status.
#include "tests/satusehat/exporter_fixture.h"

namespace ilp::exporter_testing {
namespace {

TEST_F(ExporterTest, PosyanduDayIsSentOnceWithKaderVisitsCreditedToTheBidan) {
  const std::string a = Patient(kNik), b = Patient(kNik2);
  const v1::RecordEncounterResponse va = Visit(a, "pos-melati", "kader-siti", true, true);
  const v1::RecordEncounterResponse vb = Visit(b, "pos-melati", "kader-siti");
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());

  ASSERT_EQ(fake_.stored("Encounter").size(), 2u);
  EXPECT_EQ(fake_.stored("Observation").size(), 6u);
  EXPECT_EQ(fake_.stored("Immunization").size(), 1u);
  for (const nlohmann::json& e : fake_.stored("Encounter")) {
    EXPECT_EQ(e["participant"][0]["individual"]["reference"], absl::StrCat("Practitioner/", kBidan));
    EXPECT_EQ(e["location"][0]["location"]["reference"], "Location/loc-melati");
    EXPECT_EQ(e["serviceProvider"]["reference"], absl::StrCat("Organization/", kOrg));
  }
  // Observations point at the Encounter as SATUSEHAT numbered it.
  const absl::StatusOr<v1::ExportEntry> enc = Entry(va.encounter().id());
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->state(), v1::EXPORT_SENT);
  for (const nlohmann::json& o : fake_.stored("Observation")) {
    if (o["subject"]["reference"] == "Patient/P02478375538") {
      EXPECT_EQ(o["encounter"]["reference"], absl::StrCat("Encounter/", enc->server_id()));
    }
  }
  EXPECT_EQ(EncounterIdentifierCount(va.encounter().id()), 1);
  EXPECT_EQ(EncounterIdentifierCount(vb.encounter().id()), 1);

  // The IHS number came back onto our patient through the normal write path.
  v1::GetPatientRequest get;
  get.set_id(a);
  absl::StatusOr<v1::Patient> pa = node_->records()->GetPatient(get);
  ASSERT_TRUE(pa.ok());
  bool has_ihs = false;
  for (const auto& id : pa->identifiers()) has_ihs |= id.system() == v1::IHS && id.value() == "P02478375538";
  EXPECT_TRUE(has_ihs);

  const v1::OrgExportStatus s = OrgStatus();
  EXPECT_EQ(s.sent(), 9u);
  EXPECT_EQ(s.pending() + s.held() + s.rejected(), 0u);

  // A second pass (and the IHS write-back's own change) sends nothing again.
  const int posts = fake_.posts("Encounter") + fake_.posts("Observation");
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Encounter") + fake_.posts("Observation"), posts);
  EXPECT_EQ(fake_.token_fetches(), 1);
}

TEST_F(ExporterTest, PuskesmasStaffAreCreditedByTheirOwnIhsNumber) {
  Visit(Patient(kNik), "pkm-oebobo", "dr-ani", false);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  ASSERT_EQ(fake_.stored("Encounter").size(), 1u);
  EXPECT_EQ(fake_.stored("Encounter")[0]["participant"][0]["individual"]["reference"],
            absl::StrCat("Practitioner/", kDokter));
}

TEST_F(ExporterTest, RecordsThatCannotBeMadeValidAreHeldBackWithTheReason) {
  const std::string no_nik = Patient(nullptr);
  const std::string unknown = Patient("5371030101900003");  // not registered in SATUSEHAT
  const v1::RecordEncounterResponse v1_ = Visit(no_nik, "pos-melati", "kader-siti", false);
  const v1::RecordEncounterResponse v2 = Visit(unknown, "pos-melati", "kader-siti", false);
  const v1::RecordEncounterResponse v3 = Visit(Patient(kNik), "pos-mawar", "kader-rina", false);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Encounter"), 0) << "nothing is sent half-built";

  EXPECT_EQ(Entry(v1_.encounter().id())->reason(),
            absl::StrCat("no IHS number for patient ", no_nik, ": it has no NIK and no nik-ibu"));
  EXPECT_THAT(Entry(v2.encounter().id())->reason(),
              HasSubstr(absl::StrCat("no IHS number for patient ", unknown, ": SATUSEHAT has no patient")));
  EXPECT_THAT(Entry(v3.encounter().id())->reason(), HasSubstr("no practitioner for posyandu pos-mawar"));
  EXPECT_EQ(Entry(v3.observations(0).id())->state(), v1::EXPORT_HELD);
  EXPECT_THAT(Entry(v3.observations(0).id())->reason(), HasSubstr("is not sent (EXPORT_HELD)"));
  EXPECT_EQ(OrgStatus().held(), 6u);

  // Once SATUSEHAT knows the patient, the next recheck sends its visit.
  fake_.AddPatient(absl::StrCat(fhir::kNikSystem, "|5371030101900003"), "P0000000009");
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Encounter"), 0) << "held entries wait for held_recheck_s";
  clock_.Advance(3600 * 1000);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(Entry(v2.encounter().id())->state(), v1::EXPORT_SENT);
  EXPECT_EQ(Entry(v2.observations(0).id())->state(), v1::EXPORT_SENT);
  EXPECT_EQ(OrgStatus().held(), 4u);
}

TEST_F(ExporterTest, CrashBetweenPostAndRecordingTheAnswerSendsOnce) {
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", false);
  fake_.QueueFault(testing_fake::Fault::kDropAfterApply);  // applied; the answer is lost
  EXPECT_FALSE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(Entry(v.encounter().id())->state(), v1::EXPORT_IN_FLIGHT);
  EXPECT_EQ(EncounterIdentifierCount(v.encounter().id()), 1);

  Restart();
  clock_.Advance(31'000);  // past the first backoff
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  const absl::StatusOr<v1::ExportEntry> e = Entry(v.encounter().id());
  EXPECT_EQ(e->state(), v1::EXPORT_SENT);
  EXPECT_EQ(e->server_id(), fake_.stored("Encounter")[0]["id"].get<std::string>());
  EXPECT_EQ(fake_.posts("Bundle"), 1) << "found by identifier, never POSTed twice";
  EXPECT_EQ(fake_.posts("Encounter") + fake_.posts("Observation"), 0);
  EXPECT_EQ(EncounterIdentifierCount(v.encounter().id()), 1);
  EXPECT_EQ(fake_.stored("Observation").size(), 1u);
  EXPECT_EQ(Entry(v.observations(0).id())->server_id(), fake_.stored("Observation")[0]["id"].get<std::string>());
  // Found by identifier: the ids go on the records all the same.
  EXPECT_EQ(ServerIdOnRecord(v.encounter().id()), e->server_id());
  EXPECT_EQ(ServerIdOnRecord(v.observations(0).id()), Entry(v.observations(0).id())->server_id());
}

// An entry stored SENT without its server id on the record (by a version
// before the id went in the same batch, then killed and upgraded) gets it at
// the first pass after the restart, without a second POST.
TEST_F(ExporterTest, ASentEntryWithoutItsServerIdOnTheRecordGetsItAfterARestart) {
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", false);
  fake_.QueueFault(testing_fake::Fault::kDropAfterApply);
  EXPECT_FALSE(node_->exporter()->RunOnce().ok());
  satusehat::ExportQueue old_version(node_->store());  // stores SENT and nothing else
  for (const char* type : {"Encounter", "Observation"}) {
    const nlohmann::json stored = fake_.stored(type).at(0);
    v1::ExportEntry e = *Entry(stored["identifier"][0]["value"].get<std::string>());
    e.set_state(v1::EXPORT_SENT);
    e.set_server_id(stored["id"].get<std::string>());
    ASSERT_TRUE(old_version.Put(e).ok());
  }
  ApplyRequest forget;  // that version never ran the backfill
  forget.meta_deletes.push_back("satusehat/server_ids_backfilled");
  ASSERT_TRUE(node_->store()->Apply(std::move(forget)).ok());
  ASSERT_EQ(ServerIdOnRecord(v.encounter().id()), "");

  Restart();
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(ServerIdOnRecord(v.encounter().id()), fake_.stored("Encounter")[0]["id"].get<std::string>());
  EXPECT_EQ(ServerIdOnRecord(v.observations(0).id()), fake_.stored("Observation")[0]["id"].get<std::string>());
  EXPECT_EQ(fake_.posts("Bundle"), 1);
}

TEST_F(ExporterTest, ServerErrorsRetryWithBackoffAndA5xxIsSearchedFirst) {
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", false);
  fake_.QueueFault(testing_fake::Fault::k500After);  // stored, but answered 500
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(Entry(v.encounter().id())->state(), v1::EXPORT_IN_FLIGHT);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Bundle"), 1) << "not due before its backoff";
  clock_.Advance(30'000);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(Entry(v.encounter().id())->state(), v1::EXPORT_SENT);
  EXPECT_EQ(Entry(v.observations(0).id())->state(), v1::EXPORT_SENT);
  EXPECT_EQ(fake_.posts("Bundle"), 1);
  EXPECT_EQ(EncounterIdentifierCount(v.encounter().id()), 1);
}

TEST_F(ExporterTest, TooManyRequestsWaitsForRetryAfter) {
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", false);
  fake_.QueueFault(testing_fake::Fault::k429, 120);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(Entry(v.encounter().id())->state(), v1::EXPORT_PENDING);
  EXPECT_EQ(Entry(v.observations(0).id())->state(), v1::EXPORT_PENDING);
  clock_.Advance(60'000);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Bundle"), 1) << "Retry-After 120 s is respected";
  clock_.Advance(61'000);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(Entry(v.encounter().id())->state(), v1::EXPORT_SENT);
  EXPECT_EQ(fake_.posts("Bundle"), 2);
}

TEST_F(ExporterTest, DuplicateAnswerCountsAsSent) {
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", false);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  // The answer is lost from our side (a store restored from a backup taken
  // before it): the entry is pending again, SATUSEHAT has the encounter.
  const std::string server_id = ForgetAnswer(v.encounter().id());
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(fake_.posts("Bundle"), 2);
  EXPECT_EQ(EncounterIdentifierCount(v.encounter().id()), 1);
  EXPECT_EQ(Entry(v.encounter().id())->state(), v1::EXPORT_SENT);
  EXPECT_EQ(Entry(v.encounter().id())->server_id(), server_id);
  EXPECT_EQ(ServerIdOnRecord(v.encounter().id()), server_id) << "one id, however often it is recorded";
}

TEST_F(ExporterTest, ClientOfAnotherOrganizationIsRejectedWithTheServersReason) {
  fake_.AddClient("client-other", "s3cret", "999999");
  cfg_.mutable_satusehat()->mutable_organizations(0)->set_client_id("client-other");
  Restart();
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", false);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(Entry(v.encounter().id())->state(), v1::EXPORT_REJECTED);
  EXPECT_EQ(Entry(v.encounter().id())->reason(),
            "HTTP 403: identifier system is not of this client's organization");
  // The transaction is refused whole: its Observation with it.
  EXPECT_EQ(Entry(v.observations(0).id())->state(), v1::EXPORT_REJECTED);
  EXPECT_EQ(OrgStatus().rejected(), 2u);
}

TEST_F(ExporterTest, RefusedCredentialLeavesEverythingQueued) {
  ::ilp::testing::WriteFile(cfg_.satusehat().organizations(0).client_secret_file(), "wrong\n");
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", false);
  const absl::Status st = node_->exporter()->RunOnce();
  EXPECT_TRUE(absl::IsPermissionDenied(st)) << st;
  EXPECT_THAT(std::string(st.message()), ::testing::Not(HasSubstr("wrong")));
  EXPECT_EQ(Entry(v.encounter().id())->state(), v1::EXPORT_PENDING);
  EXPECT_EQ(node_->exporter()->Status(5)->last_error(), st.message());
  const v1::OrgExportStatus org = OrgStatus();
  EXPECT_GT(org.pending(), 0u);
  EXPECT_EQ(org.oldest_pending_ms(), Entry(v.encounter().id())->queued_ms());
  EXPECT_GT(org.oldest_pending_ms(), 0);
}

TEST_F(ExporterTest, EnteredInErrorBeforeSendingIsSkipped) {
  const v1::RecordEncounterResponse v = Visit(Patient(kNik), "pos-melati", "kader-siti", false);
  v1::MarkEnteredInErrorRequest mark;
  mark.set_id(v.observations(0).id());
  mark.set_reason("wrong child weighed");
  ASSERT_TRUE(node_->records()->MarkEnteredInError(mark).ok());
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(Entry(v.observations(0).id())->state(), v1::EXPORT_SKIPPED);
  EXPECT_EQ(fake_.posts("Observation"), 0);
  EXPECT_EQ(OrgStatus().skipped(), 1u);
}

TEST_F(ExporterTest, IlpctlStatusListsHeldRecordsWithReasonsAndExits4) {
  const std::string no_nik = Patient(nullptr);
  Visit(no_nik, "pos-melati", "kader-siti", false);
  Visit(Patient(kNik), "pos-melati", "kader-siti", false);
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  const ::ilp::testing::CommandResult r =
      ::ilp::testing::Ilpctl({"--insecure", "--node", node_->address(), "satusehat", "status"});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(kOrg));
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("no IHS number for patient ", no_nik)));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("100011961 +pkm-oebobo +0 +2 +2 +0 +0"));
  const ::ilp::testing::CommandResult j =
      ::ilp::testing::Ilpctl({"--insecure", "--node", node_->address(), "-o", "json", "satusehat", "status"});
  EXPECT_EQ(j.exit_code, 4);
  const nlohmann::json parsed = nlohmann::json::parse(j.out);
  EXPECT_EQ(parsed["orgs"][0]["sent"], "2");  // uint64 as a JSON string (proto3 JSON)
  EXPECT_EQ(parsed["problems"].size(), 2u);
  // The same reasons, counted per Organization; nothing waits, so no oldest pending.
  EXPECT_THAT(r.out, HasSubstr("top reasons, 100011961:"));
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(" 1  no IHS number for patient ", no_nik)));
  const nlohmann::json& org = parsed["orgs"][0];
  ASSERT_TRUE(org["top_reasons"].is_array()) << j.out;
  EXPECT_EQ(org["top_reasons"].size(), 2u);
  EXPECT_EQ(org["top_reasons"][0]["count"], "1");
  EXPECT_EQ(org["oldest_pending_ms"], "0");

  // The patient gets a NIK SATUSEHAT knows; retry --held sends without waiting an hour.
  v1::UpdatePatientRequest up;
  up.mutable_patient()->set_id(no_nik);
  v1::Identifier* nik = up.mutable_patient()->add_identifiers();
  nik->set_system(v1::NIK), nik->set_value(kNik2);
  up.mutable_update_mask()->add_paths("identifiers");
  ASSERT_TRUE(node_->records()->UpdatePatient(up).ok());
  const ::ilp::testing::CommandResult retry =
      ::ilp::testing::Ilpctl({"--insecure", "--node", node_->address(), "satusehat", "retry", "--held"});
  EXPECT_EQ(retry.exit_code, 0) << retry.out << retry.err;
  EXPECT_THAT(retry.out, HasSubstr("2 held-back records"));
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  EXPECT_EQ(OrgStatus().sent(), 4u);
  EXPECT_EQ(OrgStatus().held(), 0u);
}


TEST_F(ExporterTest, EverySentResourcePassesTheOfficialFhirR4Schema) {
  const std::string a = Patient(kNik);
  const v1::RecordEncounterResponse v = Visit(a, "pos-melati", "kader-siti", true, true);
  v1::CreateReferralRequest ref;
  ref.mutable_referral()->set_patient_id(a);
  ref.mutable_referral()->set_encounter_id(v.encounter().id());
  ref.mutable_referral()->set_from_node("pos-melati");
  ref.mutable_referral()->set_to_node("pkm-oebobo");
  ref.mutable_referral()->set_reason("weight faltering 2 months");
  ASSERT_TRUE(node_->records()->CreateReferral(ref).ok());
  ASSERT_TRUE(node_->exporter()->RunOnce().ok());
  ASSERT_EQ(fake_.stored("ServiceRequest").size(), 1u);
  EXPECT_EQ(fake_.stored("ServiceRequest")[0]["encounter"]["reference"],
            absl::StrCat("Encounter/", fake_.stored("Encounter")[0]["id"].get<std::string>()));

  std::vector<nlohmann::json> sent;
  for (const char* type : {"Encounter", "Observation", "Immunization", "ServiceRequest"}) {
    for (const nlohmann::json& r : fake_.stored(type)) sent.push_back(r);
  }
  EXPECT_EQ(sent.size(), 6u);
  EXPECT_EQ(SchemaProblems(sent, dir_, "sent"), "");
}

}  // namespace
}  // namespace ilp::exporter_testing
