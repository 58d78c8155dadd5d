// The access gate, area rules and audit trail as apps meet them (issue 12):
// a real ilp::Node on 127.0.0.1:0 over a store in a temp dir, with the
// district token key in its auth block, driven through the generated
// Records and Admin stubs with real PASETO tokens in `authorization:
// Bearer`. Time is a fake clock; token expiry is judged on it, so an expired
// token is one issued in the clock's past, not a sleep.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ilp/v1/admin.grpc.pb.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "services/auth/paseto.h"
#include "services/auth/token.h"
#include "services/node/config.h"
#include "services/node/node.h"
#include "storage/clock/clock.h"
#include "storage/util/random.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr int64_t kNowMs = 1795392000000;  // 2026-11-23T00:00:00Z
constexpr char kVillageA[] = "5371031001";
constexpr char kVillageB[] = "5371032002";

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auth::NewKeyPair(&pk_, &sk_);
    const std::string pub = dir_.Sub("token.pub");
    std::ofstream(pub) << auth::ToPaserk(pk_) << "\n";
    cfg_.set_node_id("pkm-1");
    cfg_.set_tier(v1::PUSKESMAS);
    cfg_.add_working_area("537103");
    cfg_.set_listen_address("127.0.0.1:0");
    cfg_.set_data_dir(dir_.Sub("data"));
    cfg_.set_insecure(true);  // in-process, loopback; the auth block makes tokens count
    cfg_.mutable_auth()->set_token_public_key_file(pub);
    const absl::Status valid = ValidateNodeConfig(&cfg_);
    ASSERT_TRUE(valid.ok()) << valid;
    absl::StatusOr<std::unique_ptr<Node>> node = Node::Start(cfg_, &clock_, &random_);
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = std::move(*node);
    auto channel = grpc::CreateChannel(node_->address(), grpc::InsecureChannelCredentials());
    records_ = v1::Records::NewStub(channel);
    admin_ = v1::Admin::NewStub(channel);

    operator_ = Issue("ops-1", "operator", {"5371"}, {"admin:read", "admin:write"});
    district_ = Issue("dokter-kab", "dokter", {"5371"}, {});  // records:read+write
    kader_a_ = Issue("kader-a", "kader", {kVillageA}, {});
    bidan_b_ = Issue("bidan-b", "bidan", {kVillageB}, {});
    reader_a_ = Issue("dash-a", "programme", {kVillageA}, {});  // records:read only

    budi_ = Create(district_, "Budi", kVillageA);
    siti_ = Create(district_, "Siti", kVillageB);
  }

  void TearDown() override {
    records_.reset();
    admin_.reset();
    if (node_) node_->Shutdown();
  }

  std::string Issue(const std::string& sub, const std::string& role,
                    std::vector<std::string> area, std::vector<std::string> scopes,
                    absl::Time at = absl::FromUnixMillis(kNowMs),
                    absl::Duration ttl = absl::Hours(24), const auth::SecretKey* key = nullptr,
                    std::string* jti = nullptr) {
    v1::TokenClaims c;
    c.set_sub(sub);
    c.set_role(role);
    for (auto& a : area) c.add_area(a);
    for (auto& s : scopes) c.add_scopes(s);
    absl::StatusOr<std::string> t = auth::IssueToken(key ? *key : sk_, c, at, ttl);
    EXPECT_TRUE(t.ok()) << t.status();
    if (jti != nullptr && t.ok() && key == nullptr) {
      absl::StatusOr<v1::TokenClaims> got = auth::VerifyToken(pk_, *t, at);
      if (got.ok()) *jti = got->jti();
    }
    return t.ok() ? *t : "";
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  std::string Create(const std::string& token, const std::string& name,
                     const std::string& village, grpc::Status* status = nullptr) {
    v1::CreatePatientRequest req;
    req.mutable_patient()->set_name(name);
    req.mutable_patient()->mutable_address()->set_village_code(village);
    v1::Patient out;
    grpc::Status s = records_->CreatePatient(Ctx(token).get(), req, &out);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return out.id();
  }

  grpc::Status Get(const std::string& token, const std::string& id, v1::Patient* out = nullptr) {
    v1::GetPatientRequest req;
    req.set_id(id);
    v1::Patient p;
    return records_->GetPatient(Ctx(token).get(), req, out ? out : &p);
  }

  v1::ListAuditResponse Audit(const v1::ListAuditRequest& req = {}) {
    const absl::Status flushed = node_->audit()->Flush();
    EXPECT_TRUE(flushed.ok()) << flushed;
    v1::ListAuditResponse out;
    grpc::Status s = admin_->ListAudit(Ctx(operator_).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  testing::TempDir dir_;
  FakeClock clock_{kNowMs};
  SeededRandom random_{42};
  v1::NodeConfig cfg_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<v1::Records::Stub> records_;
  std::unique_ptr<v1::Admin::Stub> admin_;
  auth::PublicKey pk_;
  auth::SecretKey sk_;
  std::string operator_, district_, kader_a_, bidan_b_, reader_a_;
  std::string budi_, siti_;
};

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

}  // namespace
}  // namespace ilp
