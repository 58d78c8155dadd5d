// One exporter per SATUSEHAT Organization across nodes: a district
// configured to export for a Puskesmas that is now online with its own
// exporter learns so from the Puskesmas's status report, shows both in
// `ilpctl status` and yields. In-process hierarchy, the fake SATUSEHAT on
// 127.0.0.1.

#include <gtest/gtest.h>

#include "google/protobuf/util/time_util.h"
#include "services/fhir/systems.h"
#include "services/node/config.h"
#include "tests/common/temp_dir.h"
#include "tests/replication/harness.h"
#include "tests/satusehat/fake_satusehat.h"

namespace ilp {
namespace {

constexpr int64_t kT0 = 1'795'392'000'000;  // 2026-11-23T00:00:00Z
constexpr char kMelati[] = "5371031002";
constexpr char kOrg[] = "100011961";

std::vector<std::string> ExportersOf(Node* node, const std::string& org) {
  absl::StatusOr<v1::NodeStatus> st = node->admin()->GetStatus();
  EXPECT_TRUE(st.ok()) << st.status();
  if (!st.ok()) return {};
  for (const v1::SatusehatExporter& e : st->satusehat_exporters()) {
    if (e.org_ihs() == org) return {e.node_ids().begin(), e.node_ids().end()};
  }
  return {};
}

TEST(SatusehatOneExporterTest, TheDistrictYieldsAnOrganizationItsPuskesmasExportsItself) {
  ::ilp::testing::FakeSatusehat fake;
  ::ilp::testing::TempDir dir;
  const v1::SatusehatConfig sat = ::ilp::testing::OeboboExport(fake, dir.path());
  ::ilp::testing::Hierarchy h({{"dinkes-kupang", v1::DISTRICT, {"5371"}, "", sat},
                               {"pkm-oebobo", v1::PUSKESMAS, {"537103"}, "dinkes-kupang", sat},
                               {"pos-melati", v1::POSYANDU, {kMelati}, "pkm-oebobo"}},
                              kT0, 5371);
  v1::CreatePatientRequest cp;
  cp.mutable_patient()->set_name("Anak Posyandu");
  cp.mutable_patient()->mutable_address()->set_village_code(kMelati);
  v1::Identifier* nik = cp.mutable_patient()->add_identifiers();
  nik->set_system(v1::NIK);
  nik->set_value("5371030101240001");
  const absl::StatusOr<v1::Patient> p = h.api("pos-melati")->CreatePatient(cp);
  ASSERT_TRUE(p.ok()) << p.status();
  fake.AddPatient(absl::StrCat(fhir::kNikSystem, "|", nik->value()), "P00000000001");
  v1::RecordEncounterRequest visit;
  visit.mutable_encounter()->set_patient_id(p->id());
  visit.mutable_encounter()->set_kind(v1::POSYANDU_SESSION);
  visit.mutable_encounter()->set_performer("kader-siti");
  *visit.mutable_encounter()->mutable_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(kT0);
  v1::Observation* w = visit.add_observations();
  w->set_loinc("29463-7"), w->set_value(9.1), w->set_unit("kg");
  const absl::StatusOr<v1::RecordEncounterResponse> r = h.api("pos-melati")->RecordEncounter(visit);
  ASSERT_TRUE(r.ok()) << r.status();

  // Before the Puskesmas has reported, the district knows only itself.
  EXPECT_EQ(ExportersOf(h.node("dinkes-kupang"), kOrg), std::vector<std::string>{"dinkes-kupang"});
  ASSERT_TRUE(h.Sync("pos-melati").ok());
  ASSERT_TRUE(h.Sync("pkm-oebobo").ok());  // the visit and the Puskesmas's report reach the district
  EXPECT_EQ(ExportersOf(h.node("dinkes-kupang"), kOrg),
            (std::vector<std::string>{"dinkes-kupang", "pkm-oebobo"}));
  EXPECT_EQ(ExportersOf(h.node("pkm-oebobo"), kOrg), std::vector<std::string>{"pkm-oebobo"});

  // The district yields: its entries stay queued, nothing is POSTed.
  ASSERT_TRUE(h.node("dinkes-kupang")->exporter()->RunOnce().ok());
  EXPECT_EQ(fake.posts("Bundle"), 0);
  absl::StatusOr<v1::SatusehatStatusResponse> district = h.node("dinkes-kupang")->exporter()->Status(-1);
  ASSERT_TRUE(district.ok()) << district.status();
  ASSERT_EQ(district->orgs_size(), 1);
  EXPECT_EQ(district->orgs(0).pending(), 2u) << "the encounter and its observation wait, unsent";

  // The Puskesmas sends the visit, once.
  ASSERT_TRUE(h.node("pkm-oebobo")->exporter()->RunOnce().ok());
  EXPECT_EQ(fake.posts("Bundle"), 1);
  EXPECT_EQ(fake.CountIdentifier(fhir::OrgIdentifierSystem("encounter", kOrg), r->encounter().id()), 1);
  ASSERT_TRUE(h.node("dinkes-kupang")->exporter()->RunOnce().ok());
  EXPECT_EQ(fake.posts("Bundle"), 1) << "still yielded";
}

TEST(SatusehatOneExporterTest, OnlyAPuskesmasOrDistrictExportsAndAPuskesmasOnlyItsOwnOrganization) {
  v1::NodeConfig cfg;
  cfg.set_node_id("pustu-oetete");
  cfg.set_tier(v1::PUSTU);
  cfg.set_parent_id("pkm-oebobo");
  cfg.set_parent_address("127.0.0.1:7000");
  cfg.add_working_area(kMelati);
  cfg.set_listen_address("127.0.0.1:0");
  cfg.set_data_dir("/tmp/unused");
  cfg.set_insecure(true);
  ::ilp::testing::FakeSatusehat fake;
  ::ilp::testing::TempDir dir;
  *cfg.mutable_satusehat() = ::ilp::testing::OeboboExport(fake, dir.path());
  v1::NodeConfig pustu = cfg;
  absl::Status st = ValidateNodeConfig(&pustu);
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  EXPECT_EQ(st.message(), "satusehat: only a PUSKESMAS or DISTRICT node exports to SATUSEHAT");

  cfg.set_node_id("pkm-kelapa-lima");
  cfg.set_tier(v1::PUSKESMAS);
  cfg.set_parent_id("dinkes-kupang");
  cfg.clear_working_area();
  cfg.add_working_area("537104");
  v1::NodeConfig other = cfg;
  st = ValidateNodeConfig(&other);
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  EXPECT_EQ(st.message(),
            "satusehat.organizations[0].puskesmas_node_id: is pkm-oebobo: a PUSKESMAS node exports only its own "
            "Organization (puskesmas_node_id must be pkm-kelapa-lima)");

  cfg.set_node_id("pkm-oebobo");
  st = ValidateNodeConfig(&cfg);
  EXPECT_TRUE(st.ok()) << st;
}

}  // namespace
}  // namespace ilp
