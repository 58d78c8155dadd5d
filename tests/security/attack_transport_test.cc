// Attacks on who may talk to a real parent node at all (tests/security/
// attack_fixture.h): no certificate, another CA's, an expired or revoked one,
// a child's certificate used to open its sibling's session. Each is refused
// with the right code and a reason naming it, and leaves the parent as it was.
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
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "ilp/v1/admin.grpc.pb.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "services/auth/paseto.h"
#include "services/auth/token.h"
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

// ---------------------------------------------------------------------------
// Transport: who may talk to the node at all.

TEST_F(AttackTest, OperatorCertificateIsAdminOnlyAndAnAppNeedsOnlyAToken) {
  StartParent();
  TestPki& pki = TestPki::Default();
  auto find = [&](const std::shared_ptr<grpc::Channel>& ch) {
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::FindPatientsRequest req;
    req.set_name_prefix("Yo");
    v1::FindPatientsResponse out;
    return v1::Records::NewStub(ch)->FindPatients(&c, req, &out);
  };
  // The operator certificate alone: Admin (admin:read, admin:write), not Records.
  auto op = testing::OwnChannel(
      addr_, grpc::SslCredentials(testing::SslOptions(pki.operator_cert(), pki.operator_key())));
  grpc::ClientContext c1;
  c1.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::NodeStatus st;
  grpc::Status s = v1::Admin::NewStub(op)->GetStatus(&c1, v1::GetStatusRequest(), &st);
  EXPECT_TRUE(s.ok()) << s.error_message();
  s = find(op);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("needs records:read"));

  // An app: no client certificate, a token, stock TLS.
  auto app = testing::OwnChannel(
      addr_, grpc::CompositeChannelCredentials(grpc::SslCredentials(testing::SslOptions("", "")),
                                               grpc::AccessTokenCredentials(pki.token())));
  s = find(app);
  EXPECT_TRUE(s.ok()) << s.error_message();

  // Another district's token, no certificate: refused naming the signature.
  auth::PublicKey other_pk;
  auth::SecretKey other_sk;
  auth::NewKeyPair(&other_pk, &other_sk);
  v1::TokenClaims claims;
  claims.set_sub("mallory");
  claims.set_role("programme");
  claims.add_area("53");
  absl::StatusOr<std::string> forged =
      auth::IssueToken(other_sk, claims, absl::Now(), absl::Hours(1));
  ASSERT_TRUE(forged.ok()) << forged.status();
  auto intruder = testing::OwnChannel(
      addr_, grpc::CompositeChannelCredentials(grpc::SslCredentials(testing::SslOptions("", "")),
                                               grpc::AccessTokenCredentials(*forged)));
  s = find(intruder);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("bad signature"));
}

TEST_F(AttackTest, ClientWithoutCertificateIsRefusedButHealthCheckAnswers) {
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  auto anon = testing::OwnChannel(addr_, grpc::SslCredentials(testing::SslOptions("", "")));

  grpc::ClientContext c1;
  c1.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::FindPatientsRequest find;
  find.set_name_prefix("Yo");
  v1::FindPatientsResponse found;
  grpc::Status s = v1::Records::NewStub(anon)->FindPatients(&c1, find, &found);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("client certificate"));

  grpc::ClientContext c2;
  c2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::NodeStatus st;
  s = v1::Admin::NewStub(anon)->GetStatus(&c2, v1::GetStatusRequest(), &st);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("client certificate"));

  DeltaMaker maker("pustu-a");
  SessionResult r = FakeChild(addr_, testing::SslOptions("", ""))
                        .Run(HelloAs("pustu-a", 1), {BatchOf(1, {maker.CreatePatient("Ana", kAreaA)})});
  EXPECT_FALSE(r.welcomed);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("client certificate"));

  for (const std::string service : {"", "ilp.v1.Records"}) {
    bool serving = false;
    s = testing::HealthCheck(anon, service, 5000, &serving);
    EXPECT_TRUE(s.ok()) << "health of \"" << service << "\": " << s.error_message();
    EXPECT_TRUE(serving) << service;
  }

  auto plain = testing::OwnChannel(addr_, grpc::InsecureChannelCredentials());
  grpc::ClientContext c3;
  c3.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  s = v1::Admin::NewStub(plain)->GetStatus(&c3, v1::GetStatusRequest(), &st);
  EXPECT_FALSE(s.ok()) << "a plaintext client reached the node";
  bool serving = false;
  EXPECT_FALSE(testing::HealthCheck(plain, "", 3000, &serving).ok());

  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, CertificateFromAnotherCaIsRefusedNamingTheDistrictCa) {
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  TestPki impostor("kupang");  // same district name, another key
  TestPki belu("belu");
  for (TestPki* other : {&impostor, &belu}) {
    other->NodeTls("pustu-a");
    const auto ssl = testing::SslOptions(PemFile(other->dir(), "pustu-a", ".crt"),
                                         PemFile(other->dir(), "pustu-a", ".key"));
    auto ch = testing::OwnChannel(addr_, grpc::SslCredentials(ssl));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::NodeStatus st;
    grpc::Status s = v1::Admin::NewStub(ch)->GetStatus(&ctx, v1::GetStatusRequest(), &st);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("not signed by the district CA kupang"));

    DeltaMaker maker("pustu-a");
    SessionResult r = FakeChild(addr_, ssl).Run(HelloAs("pustu-a", 1),
                                                {BatchOf(1, {maker.CreatePatient("Ana", kAreaA)})});
    EXPECT_FALSE(r.welcomed);
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << r.status.error_message();
    EXPECT_THAT(r.status.error_message(), HasSubstr("district CA kupang"));
  }
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, ExpiredCertificateIsRefused) {
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  // Issued three days ago for one day, by the district CA itself.
  const std::string ca = CopyOfTestCa(dir_);
  std::vector<std::string> issue = testing::FakeTimeEnv("-3d");
  const std::vector<std::string> ilpctl = {std::string(ILP_BIN_DIR) + "/ilpctl", "pki", "issue-node", "--dir", ca,
                                           "--node-id", "pustu-a", "--host", "127.0.0.1", "--days", "1"};
  issue.insert(issue.end(), ilpctl.begin(), ilpctl.end());
  testing::CommandResult issued = testing::RunCommand(issue);
  ASSERT_EQ(issued.exit_code, 0) << issued.out << issued.err;
  const auto ssl = testing::SslOptions(PemFile(ca, "pustu-a", ".crt"), PemFile(ca, "pustu-a", ".key"));

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::NodeStatus st;
  grpc::Status s = v1::Admin::NewStub(testing::OwnChannel(addr_, grpc::SslCredentials(ssl)))
                       ->GetStatus(&ctx, v1::GetStatusRequest(), &st);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("expired"));

  DeltaMaker maker("pustu-a");
  SessionResult r = FakeChild(addr_, ssl).Run(HelloAs("pustu-a", 1),
                                              {BatchOf(1, {maker.CreatePatient("Ana", kAreaA)})});
  EXPECT_FALSE(r.welcomed);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("expired"));

  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

TEST_F(AttackTest, RevokedCertificateIsRefusedWithinSecondsOfRevocation) {
  // The parent reads the CRL of a copy of the CA, so revoking there leaves
  // the other tests' certificates alone.
  const std::string ca = CopyOfTestCa(dir_);
  TestPki& pki = TestPki::Default();
  pki.NodeTls("pkm-oebobo");
  StartParent(absl::StrCat("tls { ca_file: \"", pki.ca_file(), "\" cert_file: \"",
                           PemFile(pki.dir(), "pkm-oebobo", ".crt"), "\" key_file: \"",
                           PemFile(pki.dir(), "pkm-oebobo", ".key"), "\" crl_dir: \"", ca,
                           "/crl\" }\n"));
  const std::string before = ChangeLogBytes(addr_);
  absl::StatusOr<pki::IssuedCert> stolen = pki::IssueNode(ca, "pustu-a", {"127.0.0.1"}, 30);
  ASSERT_TRUE(stolen.ok()) << stolen.status();
  const auto ssl = testing::SslOptions(stolen->cert_path, stolen->key_path);
  auto admin = v1::Admin::NewStub(testing::OwnChannel(addr_, grpc::SslCredentials(ssl)));
  auto get_status = [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::NodeStatus st;
    return admin->GetStatus(&ctx, v1::GetStatusRequest(), &st);
  };
  // A node certificate reaches the access gate, which sends it to Sync: the
  // refusal names the gate's rule, not the certificate.
  auto reaches_gate = [](const grpc::Status& s) {
    return s.ok() || absl::StrContains(s.error_message(), "may call only Sync");
  };
  const grpc::Status first = get_status();
  ASSERT_TRUE(reaches_gate(first)) << "the certificate works before it is revoked: "
                                   << first.error_message();

  testing::CommandResult rev =
      testing::Ilpctl({"pki", "revoke", "--dir", ca, "--serial", stolen->serial_hex});
  ASSERT_EQ(rev.exit_code, 0) << rev.out << rev.err;
  grpc::Status s;
  EXPECT_TRUE(testing::WaitUntil([&] { return !reaches_gate(s = get_status()); }, 5))
      << "still accepted 5 s after revocation";
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("revoked"));
  EXPECT_THAT(s.error_message(), HasSubstr(stolen->serial_hex));

  DeltaMaker maker("pustu-a");
  SessionResult r = FakeChild(addr_, ssl).Run(HelloAs("pustu-a", 1),
                                              {BatchOf(1, {maker.CreatePatient("Ana", kAreaA)})});
  EXPECT_FALSE(r.welcomed);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("revoked"));

  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);  // with its own, unrevoked certificate
}

// ---------------------------------------------------------------------------
// Sync protocol: a child's real certificate, used to lie.

TEST_F(AttackTest, ChildCannotOpenASessionAsItsSibling) {
  StartParent();
  const std::string before = ChangeLogBytes(addr_);
  DeltaMaker maker("pustu-a");
  SessionResult r = FakeChild(addr_, NodeCerts("pustu-b"))
                        .Run(HelloAs("pustu-a", 1), {BatchOf(1, {maker.CreatePatient("Ana", kAreaA)})});
  EXPECT_FALSE(r.welcomed);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << r.status.error_message();
  EXPECT_THAT(r.status.error_message(), HasSubstr("says pustu-a"));
  EXPECT_THAT(r.status.error_message(), HasSubstr("certificate is node pustu-b"));

  // The victim's record shows no error: the impostor cannot blacken it.
  testing::CommandResult status = testing::Ilpctl({"--node", addr_, "-o", "json", "status"});
  v1::NodeStatus st;
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(status.out, &st, o).ok()) << status.out;
  for (const v1::PeerStatus& p : st.peers()) {
    if (p.state().node_id() == "pustu-a") {
      EXPECT_EQ(p.state().last_error(), "");
    }
  }
  EXPECT_EQ(ChangeLogBytes(addr_), before);
  ExpectVerifies();
  ExpectRealChildSyncs("pustu-a", kAreaA);
}

}  // namespace
}  // namespace ilp
