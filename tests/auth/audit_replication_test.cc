// The audit trail and token revocations across the hierarchy (issue 12): an
// in-process district with fake clocks (tests/replication/harness.h). Patient
// reads go through a posyandu's gRPC Records API, so the events are the ones
// the access layer writes; sessions run only when the test syncs.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "services/audit/audit_query.h"
#include "services/auth/paseto.h"
#include "services/auth/token.h"
#include "tests/common/temp_dir.h"
#include "tests/replication/harness.h"

namespace ilp {
namespace {

using testing::Hierarchy;
using testing::NewPatient;
using testing::NodeSpec;

constexpr int64_t kT0 = 1'795'392'000'000;  // 2026-11-23T00:00:00Z
const char kMawar[] = "5371031001";

std::vector<NodeSpec> District() {
  return {
      {"dinkes-kupang", v1::DISTRICT, {"5371"}, ""},
      {"pkm-oebobo", v1::PUSKESMAS, {"537103"}, "dinkes-kupang"},
      {"pos-mawar", v1::POSYANDU, {kMawar}, "pkm-oebobo"},
  };
}

// Audit events a node holds, optionally only those of `patient`.
std::vector<v1::AuditEntry> Trail(Node* n, const std::string& patient = "") {
  const absl::Status flushed = n->audit()->Flush();
  EXPECT_TRUE(flushed.ok()) << flushed;
  v1::ListAuditRequest req;
  req.set_patient_id(patient);
  absl::StatusOr<v1::ListAuditResponse> r = ListAuditEvents(*n->store(), req);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  return {r->events().begin(), r->events().end()};
}

int Count(const std::vector<v1::AuditEntry>& t, const std::string& rpc, const std::string& node) {
  int n = 0;
  for (const auto& e : t) n += e.event().rpc() == rpc && e.event().node() == node;
  return n;
}

// The district's token key: the public half in a file every node's auth
// block names, and tokens signed with the secret half at the fake clock's time.
class TokenKey {
 public:
  TokenKey() {
    auth::NewKeyPair(&pk_, &sk_);
    std::ofstream(file()) << auth::ToPaserk(pk_) << "\n";
  }
  std::string file() const { return dir_.path() + "/token.pub"; }
  std::string Issue(const std::string& sub, const std::string& role, const std::string& area) const {
    v1::TokenClaims c;
    c.set_sub(sub);
    c.set_role(role);
    c.add_area(area);
    absl::StatusOr<std::string> t =
        auth::IssueToken(sk_, c, absl::FromUnixMillis(kT0), absl::Hours(24));
    EXPECT_TRUE(t.ok()) << t.status();
    return t.value_or("");
  }

 private:
  testing::TempDir dir_;
  auth::PublicKey pk_;
  auth::SecretKey sk_;
};

void ReadPatient(Node* n, const std::string& token, const std::string& id, int times) {
  auto stub = v1::Records::NewStub(
      grpc::CreateChannel(n->address(), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < times; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    ctx.AddMetadata("authorization", "Bearer " + token);
    v1::GetPatientRequest req;
    req.set_id(id);
    v1::Patient p;
    grpc::Status s = stub->GetPatient(&ctx, req, &p);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
}

TEST(AuditReplicationTest, EveryReadAtAPosyanduReachesTheDistrictAndNothingComesDown) {
  TokenKey key;
  Hierarchy h(District(), kT0, 7, 0, false, key.file());
  const v1::Patient budi = NewPatient(h.api("pos-mawar"), "Budi", kMawar);
  h.SyncAll();
  constexpr int kReads = 25;
  ReadPatient(h.node("pos-mawar"), key.Issue("kader-a", "kader", kMawar), budi.id(), kReads);
  // The district's own reads.
  ReadPatient(h.node("dinkes-kupang"), key.Issue("officer", "programme", "5371"), budi.id(), 3);
  ASSERT_EQ(Count(Trail(h.node("pos-mawar"), budi.id()), "GetPatient", "pos-mawar"), kReads);
  h.SyncAll();

  // Up: exactly N events at the puskesmas and the district, no more, no fewer.
  for (const char* up : {"pkm-oebobo", "dinkes-kupang"}) {
    EXPECT_EQ(Count(Trail(h.node(up), budi.id()), "GetPatient", "pos-mawar"), kReads) << up;
  }
  EXPECT_EQ(Count(Trail(h.node("dinkes-kupang"), budi.id()), "GetPatient", "dinkes-kupang"), 3);
  // Down: never. The posyandu holds its own trail only, though Budi is its patient.
  for (const auto& e : Trail(h.node("pos-mawar"))) {
    EXPECT_EQ(e.event().node(), "pos-mawar") << e.DebugString();
  }
  for (const auto& e : Trail(h.node("pkm-oebobo"))) {
    EXPECT_NE(e.event().node(), "dinkes-kupang") << e.DebugString();
  }
  // The stores stay consistent: audit events live in their own column family.
  for (const char* n : {"pos-mawar", "pkm-oebobo", "dinkes-kupang"}) {
    const absl::Status v = h.node(n)->store()->Verify();
    EXPECT_TRUE(v.ok()) << n << ": " << v;
  }
}

TEST(AuditReplicationTest, ARevocationReachesAPosyanduInOneSyncDown) {
  Hierarchy h(District(), kT0, 8);
  h.SyncAll();
  absl::StatusOr<v1::RevokeTokenResponse> r =
      h.api("dinkes-kupang")->RevokeToken("0123456789abcdef0123456789abcdef", "phone lost", "ops");
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<bool> before = h.node("pos-mawar")->store()->IsRevoked("0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(*before);
  // One session per link, top-down.
  ASSERT_TRUE(h.Sync("pkm-oebobo").ok());
  ASSERT_TRUE(h.Sync("pos-mawar").ok());
  absl::StatusOr<bool> after = h.node("pos-mawar")->store()->IsRevoked("0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(*after);
}

}  // namespace
}  // namespace ilp
