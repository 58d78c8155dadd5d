// Scenario: a posyandu day recorded offline, synced up through the pustu,
// exported to SATUSEHAT by the puskesmas, and the patients' IHS numbers and
// the records' SATUSEHAT ids coming back down to the posyandu. In-process hierarchy (real nodes, fake
// clocks), the real libcurl client, the fake SATUSEHAT on 127.0.0.1.

#include <gtest/gtest.h>

#include <map>

#include "google/protobuf/util/time_util.h"
#include "services/fhir/systems.h"
#include "services/satusehat/client.h"
#include "tests/common/temp_dir.h"
#include "tests/replication/harness.h"
#include "tests/satusehat/fake_satusehat.h"

namespace ilp {
namespace {

constexpr int64_t kT0 = 1'795'392'000'000;  // 2026-11-23T00:00:00Z
constexpr char kMelati[] = "5371031002";
constexpr char kOrg[] = "100011961";
constexpr char kBidan[] = "N10000001";

std::string Ihs(RecordsCore* api, const std::string& id) {
  v1::GetPatientRequest get;
  get.set_id(id);
  absl::StatusOr<v1::Patient> p = api->GetPatient(get);
  if (!p.ok()) return "(" + std::string(p.status().message()) + ")";
  for (const auto& i : p->identifiers()) {
    if (i.system() == v1::IHS) return i.value();
  }
  return "";
}

TEST(SatusehatChainTest, PosyanduDayIsExportedByThePuskesmasAndIhsNumbersAndServerIdsComeBackDown) {
  ::ilp::testing::FakeSatusehat fake;
  ::ilp::testing::TempDir dir;
  const v1::SatusehatConfig sat = ::ilp::testing::OeboboExport(fake, dir.path());
  ASSERT_EQ(sat.organizations(0).org_ihs(), kOrg);
  ASSERT_EQ(sat.organizations(0).sites(0).supervisor_practitioner_ihs(), kBidan);

  ::ilp::testing::Hierarchy h({{"pkm-oebobo", v1::PUSKESMAS, {"537103"}, "", sat},
                               {"pustu-oetete", v1::PUSTU, {kMelati}, "pkm-oebobo"},
                               {"pos-melati", v1::POSYANDU, {kMelati}, "pustu-oetete"}},
                              kT0, 537103);
  RecordsCore* pos = h.api("pos-melati");
  std::vector<std::string> patients, encounters;
  for (int i = 0; i < 3; ++i) {
    v1::CreatePatientRequest cp;
    cp.mutable_patient()->set_name("Anak Posyandu");
    cp.mutable_patient()->mutable_address()->set_village_code(kMelati);
    v1::Identifier* nik = cp.mutable_patient()->add_identifiers();
    nik->set_system(v1::NIK);
    nik->set_value(absl::StrCat("537103010124000", i + 1));
    absl::StatusOr<v1::Patient> p = pos->CreatePatient(cp);
    ASSERT_TRUE(p.ok()) << p.status();
    patients.push_back(p->id());
    fake.AddPatient(absl::StrCat(fhir::kNikSystem, "|", nik->value()), absl::StrCat("P0000000000", i + 1));
    v1::RecordEncounterRequest visit;
    visit.mutable_encounter()->set_patient_id(p->id());
    visit.mutable_encounter()->set_kind(v1::POSYANDU_SESSION);
    visit.mutable_encounter()->set_performer("kader-siti");
    *visit.mutable_encounter()->mutable_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(kT0);
    v1::Observation* w = visit.add_observations();
    w->set_loinc("29463-7"), w->set_value(9.1 + i), w->set_unit("kg");
    absl::StatusOr<v1::RecordEncounterResponse> r = pos->RecordEncounter(visit);
    ASSERT_TRUE(r.ok()) << r.status();
    encounters.push_back(r->encounter().id());
  }
  satusehat::Exporter* exporter = h.node("pkm-oebobo")->exporter();
  ASSERT_NE(exporter, nullptr);
  ASSERT_TRUE(exporter->RunOnce().ok());
  EXPECT_EQ(fake.posts("Bundle"), 0) << "the posyandu day has not reached the puskesmas yet";

  ASSERT_TRUE(h.Sync("pos-melati").ok());
  ASSERT_TRUE(h.Sync("pustu-oetete").ok());
  ASSERT_TRUE(exporter->RunOnce().ok());
  EXPECT_EQ(fake.stored("Encounter").size(), 3u);
  EXPECT_EQ(fake.stored("Observation").size(), 3u);
  for (const std::string& e : encounters) {
    EXPECT_EQ(fake.CountIdentifier(fhir::OrgIdentifierSystem("encounter", kOrg), e), 1);
  }
  for (const nlohmann::json& e : fake.stored("Encounter")) {
    EXPECT_EQ(e["participant"][0]["individual"]["reference"], absl::StrCat("Practitioner/", kBidan))
        << "a kader visit is credited to the configured bidan";
  }

  // The IHS numbers travel down to the posyandu with the next syncs.
  EXPECT_EQ(Ihs(pos, patients[0]), "");
  ASSERT_TRUE(h.Sync("pustu-oetete").ok());
  ASSERT_TRUE(h.Sync("pos-melati").ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Ihs(pos, patients[i]), absl::StrCat("P0000000000", i + 1));

  // So do the ids SATUSEHAT gave each encounter and observation: the
  // posyandu's copies carry them, as the fake server stored them.
  std::map<std::string, std::string> server_id;  // ILP record id -> SATUSEHAT id
  for (const char* type : {"Encounter", "Observation"}) {
    for (const nlohmann::json& r : fake.stored(type)) {
      server_id[r["identifier"][0]["value"].get<std::string>()] = r["id"].get<std::string>();
    }
  }
  for (const std::string& p : patients) {
    v1::ListPatientHistoryRequest req;
    req.set_patient_id(p);
    absl::StatusOr<v1::ListPatientHistoryResponse> hist = pos->ListPatientHistory(req);
    ASSERT_TRUE(hist.ok()) << hist.status();
    int seen = 0;
    for (const v1::HistoryItem& item : hist->items()) {
      const bool enc = item.has_encounter();
      const auto& ids = enc ? item.encounter().external_ids() : item.observation().external_ids();
      const std::string& id = enc ? item.encounter().id() : item.observation().id();
      ASSERT_EQ(ids.size(), 1) << id;
      EXPECT_EQ(ids[0].system(), satusehat::ResourceEndpoint(fake.base_url(), enc ? "Encounter" : "Observation"));
      EXPECT_EQ(ids[0].value(), server_id.at(id));
      ++seen;
    }
    EXPECT_EQ(seen, 2) << "an encounter and its observation";
  }

  // Nothing is sent twice however often the exporter runs.
  h.SyncAll(1);
  ASSERT_TRUE(exporter->RunOnce().ok());
  EXPECT_EQ(fake.posts("Bundle"), 3) << "one transaction per visit, each with its observation";
  EXPECT_EQ(fake.posts("Encounter") + fake.posts("Observation"), 0);
}

}  // namespace
}  // namespace ilp
