// The SATUSEHAT exporter end to end, in one process: a real puskesmas Node
// (RocksDB in a temp dir, fake clock), the real libcurl client, and the fake
// SATUSEHAT endpoint on 127.0.0.1. Each pass is driven by RunOnce(), so
// retries and backoff are decided by the fake clock, never by sleeps.
#include <sys/stat.h>

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "services/fhir/systems.h"
#include "services/fhir/validate.h"
#include "services/node/config.h"
#include "services/node/node.h"
#include "services/satusehat/client.h"
#include "storage/merge/view.h"
#include "storage/clock/clock.h"
#include "storage/util/ids.h"
#include "storage/util/random.h"
#include "tests/common/run_command.h"
#include "tests/common/temp_dir.h"
#include "tests/satusehat/fake_satusehat.h"

namespace ilp {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using testing_fake = ::ilp::testing::FakeSatusehat;

constexpr int64_t kNowMs = 1795392000000;  // 2026-11-23T00:00:00Z
constexpr char kOrg[] = "100011961";
constexpr char kBidan[] = "N10000001";       // supervises pos-melati
constexpr char kDokter[] = "N10000002";      // staff id "dr-ani" at the puskesmas
constexpr char kNik[] = "5371034507900001";
constexpr char kNik2[] = "5371031203850002";

class ExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.AddClient("client-oebobo", "s3cret", kOrg);
    fake_.AddPatient(absl::StrCat(fhir::kNikSystem, "|", kNik), "P02478375538");
    fake_.AddPatient(absl::StrCat(fhir::kNikSystem, "|", kNik2), "P02478375539");
    const std::string secret = dir_.Sub("secret");
    ::ilp::testing::WriteFile(secret, "s3cret\n");
    ASSERT_EQ(chmod(secret.c_str(), 0600), 0);
    cfg_.set_node_id("pkm-oebobo");
    cfg_.set_tier(v1::PUSKESMAS);
    cfg_.add_working_area("537103");
    cfg_.set_listen_address("127.0.0.1:0");
    cfg_.set_data_dir(dir_.Sub("data"));
    cfg_.set_insecure(true);  // in-process, loopback
    v1::SatusehatConfig* s = cfg_.mutable_satusehat();
    s->set_base_url(fake_.base_url());
    v1::SatusehatOrganization* o = s->add_organizations();
    o->set_org_ihs(kOrg);
    o->set_client_id("client-oebobo");
    o->set_client_secret_file(secret);
    o->set_puskesmas_node_id("pkm-oebobo");
    AddSite(o, "pos-melati", "loc-melati", kBidan);
    AddSite(o, "pos-mawar", "loc-mawar", "");  // no supervisor configured
    AddSite(o, "pkm-oebobo", "loc-pkm", "");
    v1::SatusehatPractitioner* p = o->add_practitioners();
    p->set_performer("dr-ani");
    p->set_ihs(kDokter);
    const absl::Status valid = ValidateNodeConfig(&cfg_);
    ASSERT_TRUE(valid.ok()) << valid;
    StartNode();
  }

  static void AddSite(v1::SatusehatOrganization* o, const char* node, const char* loc, const char* sup) {
    v1::SatusehatSite* site = o->add_sites();
    site->set_node_id(node);
    site->set_location_ihs(loc);
    site->set_supervisor_practitioner_ihs(sup);
  }

  void StartNode() {
    NodeOptions opts;
    opts.run_replicator = false;
    opts.run_satusehat = false;
    absl::StatusOr<std::unique_ptr<Node>> node = Node::Start(cfg_, &clock_, &random_, opts);
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = std::move(*node);
    ASSERT_NE(node_->exporter(), nullptr);
  }

  void Restart() {
    node_->Shutdown();
    node_.reset();  // the store is closed: only what was fsynced survives
    StartNode();
  }

  std::string Patient(const char* nik) {
    v1::CreatePatientRequest req;
    req.mutable_patient()->set_name("Siti Aminah");
    req.mutable_patient()->set_sex(v1::FEMALE);
    req.mutable_patient()->mutable_address()->set_village_code("5371031001");
    if (nik != nullptr) {
      v1::Identifier* id = req.mutable_patient()->add_identifiers();
      id->set_system(v1::NIK);
      id->set_value(nik);
    }
    absl::StatusOr<v1::Patient> p = node_->records()->CreatePatient(req);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? p->id() : "";
  }

  // A posyandu visit an hour ago: a weight, optionally blood pressure and a BCG dose.
  static v1::RecordEncounterRequest VisitRequest(const std::string& patient, const char* site,
                                                 const char* performer, bool with_bp, bool with_bcg) {
    v1::RecordEncounterRequest req;
    v1::Encounter* e = req.mutable_encounter();
    e->set_patient_id(patient);
    e->set_kind(v1::POSYANDU_SESSION);
    e->set_life_stage(v1::TODDLER);
    e->set_node(site);
    e->set_performer(performer);
    *e->mutable_time() = TimeUtil::MillisecondsToTimestamp(kNowMs - 3'600'000);
    auto obs = [&](const char* loinc, double v, const char* unit) {
      v1::Observation* o = req.add_observations();
      o->set_loinc(loinc), o->set_value(v), o->set_unit(unit);
      *o->mutable_time() = e->time();
    };
    obs("29463-7", 9.4, "kg");
    if (with_bp) {
      obs("8480-6", 120, "mm[Hg]");
      obs("8462-4", 80, "mm[Hg]");
    }
    if (with_bcg) {
      v1::Immunization* im = req.add_immunizations();
      im->set_kfa_code("93001019"), im->set_antigen("BCG"), im->set_dose_number(1);
      im->mutable_date()->set_year(2026), im->mutable_date()->set_month(11), im->mutable_date()->set_day(22);
    }
    return req;
  }

  v1::RecordEncounterResponse Visit(const std::string& patient, const char* site, const char* performer,
                                    bool with_bp = true, bool with_bcg = false) {
    absl::StatusOr<v1::RecordEncounterResponse> r =
        node_->records()->RecordEncounter(VisitRequest(patient, site, performer, with_bp, with_bcg));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::RecordEncounterResponse();
  }

  v1::OrgExportStatus OrgStatus() {
    absl::StatusOr<v1::SatusehatStatusResponse> s = node_->exporter()->Status(50);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() && s->orgs_size() == 1 ? s->orgs(0) : v1::OrgExportStatus();
  }

  absl::StatusOr<v1::ExportEntry> Entry(const std::string& id) {
    satusehat::ExportQueue q(node_->store());
    return q.Get(id);
  }

  // The SATUSEHAT id on record `id` as the Records API shows it ("" if none;
  // "(n ids)" if more than one).
  std::string ServerIdOnRecord(const std::string& id) {
    absl::StatusOr<v1::Record> r = node_->store()->Get(id);
    if (!r.ok()) return std::string(r.status().message());
    const auto ids = r->has_encounter() ? EncounterView(*r).external_ids() : ObservationView(*r).external_ids();
    const char* type = r->has_encounter() ? "Encounter" : "Observation";
    if (ids.size() != 1) return ids.empty() ? "" : absl::StrCat("(", ids.size(), " ids)");
    EXPECT_EQ(ids[0].system(), satusehat::ResourceEndpoint(fake_.base_url(), type));
    return ids[0].value();
  }

  int EncounterIdentifierCount(const std::string& id) {
    return fake_.CountIdentifier(fhir::OrgIdentifierSystem("encounter", kOrg), id);
  }

  testing_fake fake_;
  ::ilp::testing::TempDir dir_;
  v1::NodeConfig cfg_;
  FakeClock clock_{kNowMs};
  SeededRandom random_{537103};
  std::unique_ptr<Node> node_;
};

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
  satusehat::ExportQueue q(node_->store());
  v1::ExportEntry e = *q.Get(v.encounter().id());
  const std::string server_id = e.server_id();
  e.set_state(v1::EXPORT_PENDING);
  e.clear_server_id();
  e.set_next_attempt_ms(0);
  ASSERT_TRUE(q.Put(e).ok());
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

  std::vector<std::string> argv = {"/usr/bin/env",
                                   std::string("NODE_PATH=") + ILP_BIN_DIR + "/../fhir-r4-schema/node_modules",
                                   "node", std::string(ILP_SOURCE_DIR) + "/tests/fhir/r4-schema/validate.js"};
  int n = 0;
  for (const char* type : {"Encounter", "Observation", "Immunization", "ServiceRequest"}) {
    for (const nlohmann::json& r : fake_.stored(type)) {
      argv.push_back(dir_.Sub(absl::StrCat("sent-", n++, ".json")));
      ::ilp::testing::WriteFile(argv.back(), r.dump(2));
    }
  }
  EXPECT_EQ(n, 6);
  const ::ilp::testing::CommandResult r = ::ilp::testing::RunCommand(argv);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// Runs the official FHIR R4 JSON schema validator (tests/fhir/r4-schema,
// installed by tests/run.sh) on each of `resources`; "" if all pass, else its output.
std::string SchemaProblems(const std::vector<nlohmann::json>& resources, ::ilp::testing::TempDir& dir,
                           const std::string& name) {
  std::vector<std::string> argv = {"/usr/bin/env",
                                   std::string("NODE_PATH=") + ILP_BIN_DIR + "/../fhir-r4-schema/node_modules",
                                   "node", std::string(ILP_SOURCE_DIR) + "/tests/fhir/r4-schema/validate.js"};
  for (size_t i = 0; i < resources.size(); ++i) {
    argv.push_back(dir.Sub(absl::StrCat(name, "-", i, ".json")));
    ::ilp::testing::WriteFile(argv.back(), resources[i].dump(2));
  }
  const ::ilp::testing::CommandResult r = ::ilp::testing::RunCommand(argv);
  return r.exit_code == 0 ? "" : r.out + r.err;
}

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
  satusehat::ExportQueue q(node_->store());
  std::map<std::string, std::string> server_ids;
  for (const std::string& id : {v.encounter().id(), v.observations(0).id(), v.immunizations(0).id()}) {
    v1::ExportEntry e = *q.Get(id);
    server_ids[id] = e.server_id();
    e.set_state(v1::EXPORT_PENDING);
    e.clear_server_id();
    e.set_next_attempt_ms(0);
    ASSERT_TRUE(q.Put(e).ok());
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
}  // namespace ilp
