// The access gate, area rules and audit trail as apps meet them (issue 12),
// on the fixture of access_fixture.h: a real node, real tokens, real gRPC.

#include "tests/auth/access_fixture.h"

namespace ilp {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
using namespace access_testing;  // NOLINT: the fixture and its constants

TEST_F(AccessTest, AMissingTokenIsUnauthenticated) {
  grpc::Status s = Get("", budi_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("missing token"));
  v1::NodeStatus st;
  s = admin_->GetStatus(Ctx("").get(), v1::GetStatusRequest(), &st);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccessTest, ExpiredForgedOrMalformedTokensAreUnauthenticatedNamingWhich) {
  const std::string expired = Issue("kader-a", "kader", {kVillageA}, {},
                                    absl::FromUnixMillis(kNowMs) - absl::Hours(2), absl::Hours(1));
  grpc::Status s = Get(expired, budi_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("expired"));

  auth::PublicKey other_pk;
  auth::SecretKey other_sk;
  auth::NewKeyPair(&other_pk, &other_sk);  // another district's key
  const std::string forged = Issue("kader-a", "kader", {kVillageA}, {},
                                   absl::FromUnixMillis(kNowMs), absl::Hours(24), &other_sk);
  s = Get(forged, budi_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("bad signature"));

  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Basic a2FkZXI6c2VjcmV0");
  v1::Patient p;
  v1::GetPatientRequest req;
  req.set_id(budi_);
  s = records_->GetPatient(&ctx, req, &p);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("malformed"));

  // The clock moves past a good token's exp: refused from then on.
  EXPECT_TRUE(Get(kader_a_, budi_).ok());
  clock_.Advance(25 * 3600 * 1000);
  s = Get(kader_a_, budi_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("expired"));
}

TEST_F(AccessTest, ARevokedTokenIsUnauthenticatedNamingRevocation) {
  std::string jti;
  const std::string token = Issue("kader-x", "kader", {kVillageA}, {},
                                  absl::FromUnixMillis(kNowMs), absl::Hours(24), nullptr, &jti);
  ASSERT_FALSE(jti.empty());
  ASSERT_TRUE(Get(token, budi_).ok());
  v1::RevokeTokenRequest req;
  req.set_jti(jti);
  req.set_reason("phone lost");
  v1::RevokeTokenResponse resp;
  // Revoking needs admin:write: a kader cannot.
  grpc::Status s = admin_->RevokeToken(Ctx(kader_a_).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  s = admin_->RevokeToken(Ctx(operator_).get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = Get(token, budi_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("revoked"));
  EXPECT_TRUE(Get(kader_a_, budi_).ok()) << "other tokens still work";
}

TEST_F(AccessTest, OutOfAreaGetPatientIsDeniedAlikeWhetherOrNotThePatientExists) {
  v1::Patient p;
  grpc::Status in = Get(kader_a_, budi_, &p);
  ASSERT_TRUE(in.ok()) << in.error_message();
  EXPECT_EQ(p.name(), "Budi");

  grpc::Status exists = Get(kader_a_, siti_);
  const std::string absent_id = "01936a5e-0000-7000-8000-000000000001";
  grpc::Status absent = Get(kader_a_, absent_id);
  EXPECT_EQ(exists.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(absent.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(exists.error_message(), HasSubstr("rule area"));
  // The same words but for the id asked about: nothing tells them apart.
  EXPECT_EQ(absl::StrReplaceAll(exists.error_message(), {{siti_, "ID"}}),
            absl::StrReplaceAll(absent.error_message(), {{absent_id, "ID"}}));
  EXPECT_THAT(exists.error_message(), Not(HasSubstr("Siti")));
  EXPECT_THAT(exists.error_message(), Not(HasSubstr(kVillageB)));
}

TEST_F(AccessTest, FindPatientsReturnsOnlyTheTokensArea) {
  // Both villages searched: a search outside the area finds nobody.
  auto find = [&](const std::string& token) {
    std::vector<std::string> ids;
    for (const char* village : {kVillageA, kVillageB}) {
      v1::FindPatientsRequest req;
      req.set_village_code(village);
      v1::FindPatientsResponse out;
      grpc::Status s = records_->FindPatients(Ctx(token).get(), req, &out);
      EXPECT_TRUE(s.ok()) << s.error_message();
      for (const auto& p : out.patients()) ids.push_back(p.id());
    }
    return ids;
  };
  EXPECT_THAT(find(kader_a_), UnorderedElementsAre(budi_));
  EXPECT_THAT(find(bidan_b_), UnorderedElementsAre(siti_));
  EXPECT_THAT(find(district_), UnorderedElementsAre(budi_, siti_));

  // Budi moves to village B: he leaves kader A's view and enters bidan B's.
  v1::UpdatePatientRequest up;
  up.mutable_patient()->set_id(budi_);
  up.mutable_patient()->mutable_address()->set_village_code(kVillageB);
  up.mutable_update_mask()->add_paths("address");
  v1::Patient moved;
  grpc::Status s = records_->UpdatePatient(Ctx(district_).get(), up, &moved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(find(kader_a_), ::testing::IsEmpty());
  EXPECT_THAT(find(bidan_b_), UnorderedElementsAre(budi_, siti_));
}

TEST_F(AccessTest, WritesNeedRecordsWriteAndMayNotPlaceAPatientOutsideTheArea) {
  grpc::Status s;
  Create(reader_a_, "Ani", kVillageA, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("records:write"));
  EXPECT_TRUE(Get(reader_a_, budi_).ok()) << "records:read still reads";

  Create(kader_a_, "Ani", kVillageB, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("rule area"));

  // Moving her own village's patient out is refused, and he stays put.
  v1::UpdatePatientRequest up;
  up.mutable_patient()->set_id(budi_);
  up.mutable_patient()->mutable_address()->set_village_code(kVillageB);
  up.mutable_update_mask()->add_paths("address.village_code");
  v1::Patient out;
  s = records_->UpdatePatient(Ctx(kader_a_).get(), up, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("rule area"));
  v1::Patient p;
  ASSERT_TRUE(Get(district_, budi_, &p).ok());
  EXPECT_EQ(p.address().village_code(), kVillageA);

  // In her area a kader writes.
  const std::string ani = Create(kader_a_, "Ani", kVillageA, &s);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(ani.empty());
}

TEST_F(AccessTest, ReadsWritesAndDenialsAreAuditedWithoutNames) {
  const size_t before = Audit().events_size();  // the two creates of SetUp
  EXPECT_EQ(before, 2u);
  ASSERT_TRUE(Get(kader_a_, budi_).ok());
  ASSERT_EQ(Get(kader_a_, siti_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(Get("", budi_).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status s;
  const std::string ani = Create(kader_a_, "Ani", kVillageA, &s);
  ASSERT_TRUE(s.ok());

  v1::ListAuditResponse all = Audit();
  ASSERT_EQ(all.events_size(), static_cast<int>(before) + 4);
  std::vector<std::string> seen;
  for (const auto& e : all.events()) {
    seen.push_back(absl::StrCat(e.event().rpc(), " ", e.event().sub(), " ", e.event().outcome()));
    EXPECT_EQ(e.event().node(), "pkm-1");
    const std::string text = e.event().DebugString();
    EXPECT_THAT(text, Not(HasSubstr("Budi")));
    EXPECT_THAT(text, Not(HasSubstr("Siti")));
    EXPECT_THAT(text, Not(HasSubstr("Ani")));
  }
  EXPECT_THAT(seen, ::testing::IsSupersetOf({"GetPatient kader-a OK",
                                             "GetPatient kader-a PERMISSION_DENIED",
                                             "GetPatient  UNAUTHENTICATED",
                                             "CreatePatient kader-a OK"}));

  // Filter by patient: who touched Budi.
  v1::ListAuditRequest by_budi;
  by_budi.set_patient_id(budi_);
  std::vector<std::string> budi;
  const v1::ListAuditResponse budi_events = Audit(by_budi);
  for (const auto& e : budi_events.events()) {
    budi.push_back(absl::StrCat(e.event().rpc(), " ", e.event().sub(), " ", e.event().outcome()));
  }
  EXPECT_THAT(budi, UnorderedElementsAre("CreatePatient dokter-kab OK", "GetPatient kader-a OK",
                                         "GetPatient  UNAUTHENTICATED"));
  // The write's event names the record it wrote (same WriteBatch as the write).
  v1::ListAuditRequest by_ani;
  by_ani.set_patient_id(ani);
  v1::ListAuditResponse a = Audit(by_ani);
  ASSERT_EQ(a.events_size(), 1);
  EXPECT_THAT(a.events(0).event().record_ids(), ::testing::Contains(ani));
  EXPECT_EQ(a.events(0).event().jti().empty(), false);

  // Reading the trail is admin:read: an app token without it is refused.
  v1::ListAuditResponse none;
  s = admin_->ListAudit(Ctx(kader_a_).get(), v1::ListAuditRequest(), &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AccessTest, AnAdmittedWatchIsAuditedWithThePatientsItDelivered) {
  const size_t before = Audit().events_size();
  auto ctx = Ctx(kader_a_);
  auto reader = records_->WatchChanges(ctx.get(), v1::WatchChangesRequest());  // ends when caught up
  std::vector<std::string> delivered;
  v1::ChangeEvent ev;
  uint64_t last_seq = 0;
  while (reader->Read(&ev)) {
    delivered.push_back(ev.record_id());
    last_seq = ev.seq();
  }
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_THAT(delivered, ::testing::Contains(budi_));
  ASSERT_THAT(delivered, Not(::testing::Contains(siti_)));

  v1::ListAuditRequest by_budi;
  by_budi.set_patient_id(budi_);
  std::vector<std::string> watched;
  const v1::ListAuditResponse budi_events = Audit(by_budi);  // kept: the loop reads into it
  for (const auto& e : budi_events.events()) {
    if (e.event().rpc() != "WatchChanges") continue;
    watched.push_back(absl::StrCat(e.event().sub(), " ", e.event().outcome()));
    EXPECT_THAT(e.event().record_ids(), ::testing::Contains(budi_));
    EXPECT_THAT(e.event().patient_ids(), Not(::testing::Contains(siti_)));
  }
  EXPECT_THAT(watched, ::testing::ElementsAre("kader-a OK"));
  // One event for the one batch. A watch from where that one stopped reads
  // over its audit event (in the log now, never streamed), delivers nothing,
  // and adds none: a stream's own audit events never feed it.
  EXPECT_EQ(Audit().events_size(), static_cast<int>(before) + 1);
  auto again = Ctx(kader_a_);
  v1::WatchChangesRequest after;
  after.set_after_seq(last_seq);
  auto reader2 = records_->WatchChanges(again.get(), after);
  while (reader2->Read(&ev)) {
  }
  ASSERT_TRUE(reader2->Finish().ok());
  EXPECT_EQ(Audit().events_size(), static_cast<int>(before) + 1);
}

TEST_F(AccessTest, AReferralIsVisibleToTheNodeItIsAddressedToAndNoMore) {
  // The Puskesmas refers Budi (village A) to posyandu pos-b, in village B.
  v1::CreateReferralRequest cr;
  cr.mutable_referral()->set_patient_id(budi_);
  cr.mutable_referral()->set_to_node("pos-b");
  cr.mutable_referral()->set_reason("home visit");
  v1::Referral ref;
  grpc::Status s = records_->CreateReferral(Ctx(district_).get(), cr, &ref);
  ASSERT_TRUE(s.ok()) << s.error_message();

  v1::TokenClaims c;
  c.set_sub("kader-pos-b");
  c.set_role("kader");
  c.add_area(kVillageB);
  c.set_node("pos-b");
  absl::StatusOr<std::string> pos_b = auth::IssueToken(sk_, c, absl::FromUnixMillis(kNowMs), absl::Hours(1));
  ASSERT_TRUE(pos_b.ok()) << pos_b.status();
  v1::GetReferralRequest get;
  get.set_id(ref.id());
  v1::Referral got;
  s = records_->GetReferral(Ctx(*pos_b).get(), get, &got);
  EXPECT_TRUE(s.ok()) << s.error_message();
  // Addressed is not area: the patient stays outside the token's view.
  EXPECT_EQ(Get(*pos_b, budi_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Its change feed carries the referral, not Budi.
  auto ctx = Ctx(*pos_b);
  auto reader = records_->WatchChanges(ctx.get(), v1::WatchChangesRequest());
  std::vector<std::string> seen;
  v1::ChangeEvent ev;
  while (reader->Read(&ev)) seen.push_back(ev.record_id());
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_THAT(seen, ::testing::Contains(ref.id()));
  EXPECT_THAT(seen, Not(::testing::Contains(budi_)));
  EXPECT_THAT(seen, ::testing::Contains(siti_));  // village B is its area

  // The same village without the node claim: the referral is out of view.
  s = records_->GetReferral(Ctx(bidan_b_).get(), get, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("rule area"));
}

TEST_F(AccessTest, ACleanShutdownCommitsQueuedReadEvents) {
  // A group commit an hour apart: the reads' events stay queued until the
  // shutdown, which must commit them.
  node_.reset();  // shut down; the store closes
  NodeOptions slow;
  slow.audit_commit_interval = absl::Hours(1);
  absl::StatusOr<std::unique_ptr<Node>> node = Node::Start(cfg_, &clock_, &random_, slow);
  ASSERT_TRUE(node.ok()) << node.status();
  node_ = std::move(*node);
  auto channel = grpc::CreateChannel(node_->address(), grpc::InsecureChannelCredentials());
  records_ = v1::Records::NewStub(channel);
  admin_ = v1::Admin::NewStub(channel);
  const uint64_t committed = node_->audit()->committed();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(Get(kader_a_, budi_).ok());
  EXPECT_EQ(node_->audit()->committed(), committed) << "the reads' events were committed before the shutdown";

  node_.reset();  // a clean shutdown: the queue is committed, then the store closes
  node = Node::Start(cfg_, &clock_, &random_);
  ASSERT_TRUE(node.ok()) << node.status();
  node_ = std::move(*node);
  channel = grpc::CreateChannel(node_->address(), grpc::InsecureChannelCredentials());
  records_ = v1::Records::NewStub(channel);
  admin_ = v1::Admin::NewStub(channel);
  v1::ListAuditRequest by_budi;
  by_budi.set_patient_id(budi_);
  int reads = 0;
  const v1::ListAuditResponse trail = Audit(by_budi);
  for (const auto& e : trail.events()) reads += e.event().rpc() == "GetPatient" && e.event().sub() == "kader-a";
  EXPECT_EQ(reads, 50);
}

}  // namespace
}  // namespace ilp
