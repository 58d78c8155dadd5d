// No log line holds a patient's name or NIK (UU 27/2022), whatever path
// writes it: API writes and searches, refused requests that quote the bad
// value back to the caller, and deltas from a child refused by admission.
#include <gtest/gtest.h>

#include "absl/strings/str_format.h"
#include "storage/merge/view.h"
#include "tests/common/temp_dir.h"
#include "tests/security/attack_fixture.h"
#include "tests/security/attack_kit.h"

namespace ilp::testing {
namespace {

constexpr char kName[] = "Zulaikha Primarasari";
constexpr char kNik[] = "5371034101900007";   // a woman born 1 Jan 1990 in 537103
constexpr char kBadNik[] = "537103410190000";  // 15 digits: quoted in the error

grpc::ClientContext* Deadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

TEST_F(AttackTest, NoLogLineHoldsAPatientsNameOrNik) {
  StartParent();
  auto api = Api();
  // Ordinary use: register, rename, search by NIK.
  v1::CreatePatientRequest create;
  create.mutable_patient()->set_name(kName);
  create.mutable_patient()->mutable_address()->set_village_code("5371031001");
  v1::Identifier* nik = create.mutable_patient()->add_identifiers();
  nik->set_system(v1::NIK);
  nik->set_value(kNik);
  v1::Patient p;
  grpc::ClientContext c1;
  ASSERT_TRUE(api->CreatePatient(Deadline(&c1), create, &p).ok());
  v1::FindPatientsRequest find;
  find.set_nik(kNik);
  v1::FindPatientsResponse found;
  grpc::ClientContext c2;
  ASSERT_TRUE(api->FindPatients(Deadline(&c2), find, &found).ok());
  ASSERT_EQ(found.patients_size(), 1);
  // A refused request: the caller is told the bad value, the log is not.
  nik->set_value(kBadNik);
  grpc::ClientContext c3;
  grpc::Status bad = api->CreatePatient(Deadline(&c3), create, &p);
  ASSERT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_NE(bad.error_message().find(kBadNik), std::string::npos) << bad.error_message();
  // A child sends a delta with the bad NIK and the name; admission refuses it.
  DeltaMaker maker("pustu-a");
  v1::Record forged = maker.CreatePatient(kName, kAreaA);
  v1::Identifier id;
  id.set_system(v1::NIK);
  id.set_value(kBadNik);
  v1::SetElement* e = forged.mutable_patient()->add_elements();
  e->set_field("identifiers");
  e->set_key(IdentifierKey(id));
  e->set_value(id.SerializeAsString());
  *e->mutable_value_stamp() = forged.created();
  *e->add_adds() = forged.created();
  SessionResult r = FakeChild(addr_, NodeCerts("pustu-a")).Run(HelloAs("pustu-a", 1), {BatchOf(1, {forged})});
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  v1::ListQuarantineResponse q = Quarantine();
  ASSERT_EQ(q.total(), 1u);
  ASSERT_NE(q.deltas(0).reason().find(kBadNik), std::string::npos)
      << "the operator's view keeps the whole reason: " << q.deltas(0).reason();
  ExpectRealChildSyncs("pustu-a", kAreaA, 2);
  ASSERT_EQ(parent_->Stop(), 0);

  const std::string log = ReadFile(dir_.Sub("pkm/node.log"));
  ASSERT_NE(log.find("quarantined a delta from pustu-a"), std::string::npos)
      << "the refusal must be logged, or this test proves nothing:\n" << log;
  for (const char* secret : {"Zulaikha", "Primarasari", kNik, kBadNik}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "the log holds \"" << secret << "\":\n" << log;
  }
}

}  // namespace
}  // namespace ilp::testing
