// The fixture of the access tests (access_test.cc, access_matrix_test.cc):
// a real ilp::Node on 127.0.0.1:0 over a store in a temp dir, with the
// district token key in its auth block, driven through the generated
// Records and Admin stubs with real PASETO tokens in `authorization:
// Bearer`. Time is a fake clock; token expiry is judged on it, so an expired
// token is one issued in the clock's past, not a sleep.

#ifndef ILP_TESTS_AUTH_ACCESS_FIXTURE_H_
#define ILP_TESTS_AUTH_ACCESS_FIXTURE_H_

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
namespace access_testing {

inline constexpr int64_t kNowMs = 1795392000000;  // 2026-11-23T00:00:00Z
inline constexpr char kVillageA[] = "5371031001";
inline constexpr char kVillageB[] = "5371032002";

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

}  // namespace access_testing
}  // namespace ilp

#endif  // ILP_TESTS_AUTH_ACCESS_FIXTURE_H_
