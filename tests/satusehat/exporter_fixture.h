// The fixture of the SATUSEHAT exporter end-to-end tests
// (exporter_test.cc, exporter_bundle_test.cc): a real puskesmas Node
// (RocksDB in a temp dir, fake clock), the real libcurl client, and the fake
// SATUSEHAT endpoint on 127.0.0.1. Each pass is driven by RunOnce(), so
// retries and backoff are decided by the fake clock, never by sleeps.
#ifndef ILP_TESTS_SATUSEHAT_EXPORTER_FIXTURE_H_
#define ILP_TESTS_SATUSEHAT_EXPORTER_FIXTURE_H_

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

namespace ilp::exporter_testing {

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

  // Forgets SATUSEHAT's answer for entry `id`, as a store restored from a
  // backup taken before it would: pending again, due now. Returns the
  // server id it had.
  std::string ForgetAnswer(const std::string& id) {
    satusehat::ExportQueue q(node_->store());
    absl::StatusOr<v1::ExportEntry> e = q.Get(id);
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok()) return "";
    const std::string server_id = e->server_id();
    e->set_state(v1::EXPORT_PENDING);
    e->clear_server_id();
    e->set_next_attempt_ms(0);
    EXPECT_TRUE(q.Put(*e).ok());
    return server_id;
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


// Runs the official FHIR R4 JSON schema validator (tests/fhir/r4-schema,
// installed by tests/run.sh) on each of `resources`; "" if all pass, else its output.
inline std::string SchemaProblems(const std::vector<nlohmann::json>& resources, ::ilp::testing::TempDir& dir,
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

}  // namespace ilp::exporter_testing

#endif  // ILP_TESTS_SATUSEHAT_EXPORTER_FIXTURE_H_
