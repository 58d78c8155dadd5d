// Attacks through the sync protocol by a child holding its real certificate
// (tests/security/attack_fixture.h): a foreign subtree, forged authors, an
// out-of-area move, stamps from 2100, oversized and malformed records, a
// poisoned cursor. Each is refused or quarantined and leaves the parent as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zstd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "ilp/v1/admin.grpc.pb.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "services/pki/ca.h"
#include "storage/merge/view.h"
#include "tests/common/node_process.h"
#include "tests/common/run_command.h"
#include "tests/common/temp_dir.h"
#include "tests/common/test_pki.h"
#include "tests/replication/process_chain.h"
#include "tests/security/attack_kit.h"
#include "tests/security/attack_fixture.h"

namespace ilp {
namespace {

using testing::BatchOf;
using testing::ChangeLogBytes;
using testing::DeltaMaker;
using testing::FakeChild;
using testing::HelloAs;
using testing::NodeCerts;
using testing::PeerOf;
using testing::SessionResult;
using testing::TestPki;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::AttackTest;
using testing::CopyOfTestCa;
using testing::kAreaA;
using testing::kAreaB;
using testing::kYear2100Ms;
using testing::NowMs;
using testing::PemFile;

TEST_F(AttackTest, SubtreeAlreadyClaimedBySiblingIsNotBelieved) {
  StartParent();
  SessionResult b = FakeChild(addr_, NodeCerts("pustu-b"))
                        .Run([] {
                          v1::Hello h = HelloAs("pustu-b", 0);
                          h.add_subtree("pos-b1");
                          return h;
                        }(),
                             {BatchOf(0, {})});
  ASSERT_TRUE(b.status.ok()) << b.status.error_message();
  ASSERT_THAT(PeerOf(addr_, "pustu-b").subtree(), ::testing::Contains("pos-b1"));
  const std::string before = ChangeLogBytes(addr_);

  // pustu-a claims pos-b1 too, and writes as pos-b1.
  DeltaMaker as_b1("pos-b1");
  const v1::Record forged = as_b1.CreatePatient("Dewi", kAreaA);
  v1::Hello h = HelloAs("pustu-a", 1);
  h.add_subtree("pos-b1");
  h.add_subtree("pos-a1");
  SessionResult a = FakeChild(addr_, NodeCerts("pustu-a")).Run(h, {BatchOf(1, {forged})});
  EXPECT_TRUE(a.status.ok()) << a.status.error_message();

  const v1::PeerState pa = PeerOf(addr_, "pustu-a");
  EXPECT_THAT(pa.subtree(), ::testing::Not(::testing::Contains("pos-b1")));
  EXPECT_THAT(pa.subtree(), ::testing::Contains("pos-a1"));  // an honest claim still counts
  EXPECT_THAT(PeerOf(addr_, "pustu-b").subtree(), ::testing::Contains("pos-b1"));
  v1::ListQuarantineResponse q = Quarantine();
  ASSERT_EQ(q.deltas_size(), 1);
  EXPECT_EQ(q.deltas(0).record_id(), forged.id());
  EXPECT_THAT(q.deltas(0).reason(), StartsWith("authorship"));
  v1::Patient p;
  EXPECT_EQ(GetPatient(forged.id(), &p).error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "not held here: the same refusal as out of area (docs/security.md)";
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, DeltaSignedAsForeignNodeIsQuarantinedAndTheRestOfTheBatchApplies) {
  StartParent();
  DeltaMaker as_district("dinkes-kupang"), maker("pustu-a");
  const v1::Record forged = as_district.CreatePatient("Forged", kAreaA);
  const v1::Record honest = maker.CreatePatient("Honest", kAreaA);
  SessionResult r = FakeChild(addr_, NodeCerts("pustu-a"))
                        .Run(HelloAs("pustu-a", 2), {BatchOf(2, {forged, honest})});
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.acked, 1);

  int rc = 0;
  v1::ListQuarantineResponse q = Quarantine(&rc);
  EXPECT_EQ(rc, 4);
  ASSERT_EQ(q.deltas_size(), 1);
  EXPECT_EQ(q.deltas(0).from_node(), "pustu-a");
  EXPECT_EQ(q.deltas(0).record_id(), forged.id());
  EXPECT_THAT(q.deltas(0).reason(), StartsWith("authorship"));
  EXPECT_THAT(q.deltas(0).reason(), HasSubstr("dinkes-kupang"));
  v1::Patient p;
  EXPECT_EQ(GetPatient(forged.id(), &p).error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "not held here: the same refusal as out of area (docs/security.md)";
  ASSERT_TRUE(GetPatient(honest.id(), &p).ok());
  EXPECT_EQ(p.name(), "Honest");
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, ChildCannotMoveASiblingsPatientIntoItsArea) {
  StartParent();
  DeltaMaker maker_b("pustu-b"), maker_a("pustu-a");
  const v1::Record created = maker_b.CreatePatient("Maria", kAreaB);
  ASSERT_TRUE(FakeChild(addr_, NodeCerts("pustu-b"))
                  .Run(HelloAs("pustu-b", 1), {BatchOf(1, {created})})
                  .status.ok());
  const std::string before = ChangeLogBytes(addr_);
  maker_a.Learn(created);
  const v1::Record move = maker_a.MoveTo(created.id(), kAreaA);
  SessionResult r = FakeChild(addr_, NodeCerts("pustu-a")).Run(HelloAs("pustu-a", 1), {BatchOf(1, {move})});
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();

  v1::ListQuarantineResponse q = Quarantine();
  ASSERT_EQ(q.deltas_size(), 1);
  EXPECT_EQ(q.deltas(0).record_id(), created.id());
  EXPECT_THAT(q.deltas(0).reason(), StartsWith("scope"));
  v1::Patient p;
  ASSERT_TRUE(GetPatient(created.id(), &p).ok());
  EXPECT_EQ(p.address().village_code(), kAreaB);
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, StampsFromYear2100AreQuarantinedAndDoNotDragTheParentsClock) {
  StartParent();
  DeltaMaker maker("pustu-a");
  const v1::Record created = maker.CreatePatient("Yohana", kAreaA);
  ASSERT_TRUE(FakeChild(addr_, NodeCerts("pustu-a"))
                  .Run(HelloAs("pustu-a", 1), {BatchOf(1, {created})})
                  .status.ok());
  const std::string before = ChangeLogBytes(addr_);

  v1::Record edit = maker.Rename(created.id(), "Yohana 2100");
  for (v1::FieldVersion& v : *edit.mutable_patient()->mutable_versions()) {
    v.mutable_stamp()->set_wall_ms(kYear2100Ms);
    v.mutable_stamp()->set_anchor_ms(kYear2100Ms);
  }
  v1::Hello hello = HelloAs("pustu-a", 2);
  hello.set_up_acked(1);
  hello.mutable_now()->set_wall_ms(kYear2100Ms);
  hello.mutable_now()->set_anchor_ms(kYear2100Ms);
  SessionResult r = FakeChild(addr_, NodeCerts("pustu-a")).Run(hello, {BatchOf(2, {edit})});
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_LT(r.welcome.now().wall_ms(), NowMs() + 3600'000) << "the Hello's clock dragged the parent's";

  v1::ListQuarantineResponse q = Quarantine();
  ASSERT_EQ(q.deltas_size(), 1);
  EXPECT_THAT(q.deltas(0).reason(), StartsWith("time"));
  v1::Patient p;
  ASSERT_TRUE(GetPatient(created.id(), &p).ok());
  EXPECT_EQ(p.name(), "Yohana");
  EXPECT_EQ(ChangeLogBytes(addr_), before);

  // The parent's own next write is stamped now, not in 2100.
  auto api = Api();
  const uint64_t head = testing::ChangeLogHead(api.get());
  v1::CreatePatientRequest req;
  req.mutable_patient()->set_name("Stamped Now");
  req.mutable_patient()->mutable_address()->set_village_code(kAreaA);
  grpc::ClientContext ctx;
  ASSERT_TRUE(api->CreatePatient(&ctx, req, &p).ok());
  grpc::ClientContext wctx;
  wctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::WatchChangesRequest w;
  w.set_after_seq(head);
  auto reader = api->WatchChanges(&wctx, w);
  v1::ChangeEvent ev;
  int events = 0;
  while (reader->Read(&ev)) {
    ++events;
    EXPECT_LT(ev.delta().created().wall_ms(), NowMs() + 3600'000);
    for (const auto& v : ev.delta().patient().versions()) EXPECT_LT(v.stamp().wall_ms(), NowMs() + 3600'000);
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(events, 1);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, OversizedAndMalformedRecordsAreQuarantinedNotStored) {
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  DeltaMaker maker("pustu-a");
  v1::Record big_name = maker.CreatePatient("Big", kAreaA);
  big_name.mutable_patient()->mutable_value()->set_name(std::string(200 * 1024, 'a'));
  v1::Record no_kind = maker.CreatePatient("Nobody", kAreaA);
  no_kind.clear_patient();
  v1::Record bad_id = maker.CreatePatient("Bad Id", kAreaA);
  bad_id.set_id("not-a-uuid/../x");
  v1::Record many_ids = maker.CreatePatient("Many", kAreaA);
  for (int i = 0; i < 10'000; ++i) {
    v1::Identifier id;
    id.set_system(v1::NIK);
    id.set_value(absl::StrFormat("53710310%08d", i));
    v1::SetElement* e = many_ids.mutable_patient()->add_elements();
    e->set_field("identifiers");
    e->set_key(IdentifierKey(id));
    e->set_value(id.SerializeAsString());
    *e->mutable_value_stamp() = many_ids.created();
    *e->add_adds() = many_ids.created();
  }
  SessionResult r = FakeChild(addr_, NodeCerts("pustu-a"))
                        .Run(HelloAs("pustu-a", 4), {BatchOf(4, {big_name, no_kind, bad_id, many_ids})});
  // The batch fits the decompression cap, so each record is judged alone.
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  v1::ListQuarantineResponse q = Quarantine();
  EXPECT_EQ(q.total(), 4u);
  std::set<std::string> ids;
  for (const v1::QuarantinedDelta& d : q.deltas()) {
    EXPECT_THAT(d.reason(), StartsWith("content")) << d.record_id();
    ids.insert(d.record_id());
  }
  EXPECT_EQ(ids, (std::set<std::string>{big_name.id(), no_kind.id(), "not-a-uuid/../x", many_ids.id()}));
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA, 5);
}

// External ids (SATUSEHAT server ids) from a child: too many, or one bad
// element among good ones, quarantine the whole delta; nothing is stored.
TEST_F(AttackTest, OversizedOrInvalidExternalIdsAreQuarantinedWhole) {
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  DeltaMaker maker("pustu-a");
  const v1::Record patient = maker.CreatePatient("Ext", kAreaA);
  auto ext = [&](const std::string& id, int n) {
    v1::Record d;
    d.set_id(id);
    d.mutable_encounter();
    for (int i = 0; i < n; ++i) {
      v1::ExternalId* x = d.add_external_ids();
      x->set_system("https://api-satusehat.kemkes.go.id/fhir-r4/v1/Encounter");
      x->set_value(absl::StrCat("srv-", i));
      *x->mutable_stamp() = patient.created();
    }
    return d;
  };
  const v1::Record many = ext("019ab000-0000-7000-8000-0000000000e1", 17);
  v1::Record one_bad = ext("019ab000-0000-7000-8000-0000000000e2", 3);
  one_bad.mutable_external_ids(2)->set_value(std::string(4096, 'x'));
  SessionResult r = FakeChild(addr_, NodeCerts("pustu-a")).Run(HelloAs("pustu-a", 2), {BatchOf(2, {many, one_bad})});
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  v1::ListQuarantineResponse q = Quarantine();
  ASSERT_EQ(q.total(), 2u);
  std::set<std::string> reasons;
  for (const v1::QuarantinedDelta& d : q.deltas()) reasons.insert(d.reason());
  EXPECT_EQ(reasons, (std::set<std::string>{
                         "content: record.external_ids: at most 16 external ids, got 17",
                         "content: record.external_ids[2].value: must be at most 128 bytes, got 4096"}));
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
}

TEST_F(AttackTest, BatchCursorBeyondAnnouncedHeadIsRefusedAndCursorKept) {
  StartParent();
  DeltaMaker maker("pustu-a");
  FakeChild child(addr_, NodeCerts("pustu-a"));
  const v1::Record first = maker.CreatePatient("First", kAreaA);
  ASSERT_TRUE(child.Run(HelloAs("pustu-a", 1), {BatchOf(1, {first})}).status.ok());
  ASSERT_EQ(PeerOf(addr_, "pustu-a").received_cursor(), 1u);
  const std::string before = ChangeLogBytes(addr_);

  const v1::Record second = maker.CreatePatient("Second", kAreaA);
  SessionResult r = child.Run(HelloAs("pustu-a", 5), {BatchOf(1'000'000'000'000, {second})});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("batch.cursor"));
  v1::Patient p;
  EXPECT_EQ(GetPatient(second.id(), &p).error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "not held here: the same refusal as out of area (docs/security.md)";
  EXPECT_EQ(PeerOf(addr_, "pustu-a").received_cursor(), 1u);
  EXPECT_EQ(ChangeLogBytes(addr_), before);

  // The next honest session resumes from 1: no alarm, data moves.
  v1::Hello hello = HelloAs("pustu-a", 2);
  hello.set_up_acked(1);
  r = child.Run(hello, {BatchOf(2, {second})});
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.welcome.up_cursor(), 1u);
  EXPECT_EQ(r.welcome.alarm(), "");
  EXPECT_TRUE(GetPatient(second.id(), &p).ok());
  EXPECT_EQ(PeerOf(addr_, "pustu-a").received_cursor(), 2u);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

// ---------------------------------------------------------------------------
// Resource exhaustion.

}  // namespace
}  // namespace ilp
