// CertVerifier: chain, validity at a caller-supplied trusted time (never the
// system clock), revocation with reload, and the SPIFFE identity.
#include "services/pki/verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/pki/ca.h"
#include "tests/common/run_command.h"
#include "tests/common/temp_dir.h"
#include "tests/pki/pki_test_util.h"

namespace ilp::pki {
namespace {

using ::ilp::testing::Ilpctl;
using ::ilp::testing::ReadFile;
using ::ilp::testing::TempDir;
using ::testing::HasSubstr;
using namespace ::ilp::pki::testing;

constexpr int64_t kDay = 86400;

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCa(ca_, "kupang", kDefaultCaDays).ok());
    absl::StatusOr<IssuedCert> node = IssueNode(ca_, "pkm-oebobo", {"localhost"}, kDefaultLeafDays);
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = *node;
  }
  std::unique_ptr<CertVerifier> NewVerifier() {
    absl::StatusOr<std::unique_ptr<CertVerifier>> v = CertVerifier::Create(ca_ + "/ca.crt", ca_ + "/crl");
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? std::move(*v) : nullptr;
  }
  std::string NodePem() const { return ReadFile(node_.cert_path); }

  TempDir tmp_;
  const std::string ca_ = tmp_.Sub("ca");
  IssuedCert node_;
};

TEST_F(VerifierTest, NodeCertVerifiesAtTrustedTimeNowWithItsIdentity) {
  auto v = NewVerifier();
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->checks_revocation());
  absl::StatusOr<PeerIdentity> p = v->Verify(NodePem(), "", NowUnix());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->kind, PeerIdentity::kNode);
  EXPECT_EQ(p->id, "pkm-oebobo");
  EXPECT_EQ(p->district, "kupang");
  EXPECT_EQ(p->spiffe_id, "spiffe://kupang/node/pkm-oebobo");
  EXPECT_EQ(p->serial_hex, node_.serial_hex);
}

TEST_F(VerifierTest, CertIsExpiredAtATrustedTimePastNotAfterWhateverTheSystemClockSays) {
  auto v = NewVerifier();
  ASSERT_NE(v, nullptr);
  const int64_t not_after = NotAfter(ReadCert(node_.cert_path).get());
  EXPECT_EQ(not_after, node_.not_after);
  EXPECT_TRUE(v->Verify(NodePem(), "", not_after - 1).ok());
  absl::Status s = v->Verify(NodePem(), "", not_after + kDay).status();
  EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("peer certificate expired at " + FormatUnixTime(not_after)));
  EXPECT_THAT(s.message(), HasSubstr("trusted time " + FormatUnixTime(not_after + kDay)));
}

TEST_F(VerifierTest, CertIsNotYetValidAtATrustedTimeBeforeNotBefore) {
  auto v = NewVerifier();
  ASSERT_NE(v, nullptr);
  const int64_t not_before = NotBefore(ReadCert(node_.cert_path).get());
  EXPECT_LT(not_before, NowUnix());  // backdated for small clock differences
  EXPECT_TRUE(v->Verify(NodePem(), "", not_before).ok());
  absl::Status s = v->Verify(NodePem(), "", not_before - 60).status();
  EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("peer certificate not yet valid until " + FormatUnixTime(not_before)));
}

TEST_F(VerifierTest, CertFromAnotherCaIsRefusedNamingTheDistrictCa) {
  auto v = NewVerifier();
  ASSERT_NE(v, nullptr);
  for (const std::string district : {"kupang", "belu"}) {  // same name, other key; other district
    const std::string other = tmp_.Sub("other-" + district);
    ASSERT_EQ(Ilpctl({"pki", "init", "--dir", other, "--district", district}).exit_code, 0);
    ASSERT_EQ(Ilpctl({"pki", "issue-node", "--dir", other, "--node-id", "pkm-oebobo"}).exit_code, 0);
    absl::Status s = v->Verify(ReadFile(other + "/pkm-oebobo.crt"), "", NowUnix()).status();
    EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
    EXPECT_THAT(s.message(), HasSubstr("not signed by the district CA kupang")) << district;
  }
}

TEST_F(VerifierTest, RevokedCertIsRefusedByAFreshVerifier) {
  ASSERT_EQ(Ilpctl({"pki", "revoke", "--dir", ca_, "--serial", node_.serial_hex}).exit_code, 0);
  auto v = NewVerifier();
  ASSERT_NE(v, nullptr);
  absl::Status s = v->Verify(NodePem(), "", NowUnix()).status();
  EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("serial " + node_.serial_hex + " is revoked"));
}

TEST_F(VerifierTest, VerifierCreatedBeforeRevocationPicksUpTheNewCrlOnReload) {
  auto v = NewVerifier();
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->Verify(NodePem(), "", NowUnix()).ok());
  EXPECT_EQ(v->TEST_ReloadIfChanged().value_or(true), false);  // nothing changed yet
  ASSERT_EQ(Ilpctl({"pki", "revoke", "--dir", ca_, "--serial", node_.serial_hex}).exit_code, 0);
  EXPECT_EQ(v->TEST_ReloadIfChanged().value_or(false), true);
  absl::Status s = v->Verify(NodePem(), "", NowUnix()).status();
  EXPECT_THAT(s.message(), HasSubstr("is revoked"));
}

TEST_F(VerifierTest, RevocationStillAppliesAfterTheCrlsNextUpdate) {
  TempDir tmp;
  const std::string ca = tmp.Sub("ca");
  ASSERT_TRUE(InitCa(ca, "kupang", 36500).ok());
  auto revoked = IssueNode(ca, "old", {}, 36500);
  auto good = IssueNode(ca, "new", {}, 36500);
  ASSERT_TRUE(revoked.ok() && good.ok());
  ASSERT_TRUE(Revoke(ca, revoked->serial_hex).ok());
  auto v = CertVerifier::Create(ca + "/ca.crt", ca + "/crl");
  ASSERT_TRUE(v.ok()) << v.status();
  const int64_t after_next_update = NowUnix() + (kCrlNextUpdateDays + 30) * kDay;
  EXPECT_THAT((*v)->Verify(ReadFile(revoked->cert_path), "", after_next_update).status().message(),
              HasSubstr("is revoked"));
  EXPECT_TRUE((*v)->Verify(ReadFile(good->cert_path), "", after_next_update).ok());
}

TEST_F(VerifierTest, OperatorCertVerifiesAsOperator) {
  absl::StatusOr<IssuedCert> op = IssueOperator(ca_, "ana", kDefaultLeafDays);
  ASSERT_TRUE(op.ok()) << op.status();
  auto v = NewVerifier();
  ASSERT_NE(v, nullptr);
  absl::StatusOr<PeerIdentity> p = v->Verify(ReadFile(op->cert_path), "", NowUnix());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->kind, PeerIdentity::kOperator);
  EXPECT_EQ(p->id, "ana");
  EXPECT_EQ(p->spiffe_id, "spiffe://kupang/operator/ana");
}

TEST_F(VerifierTest, TheCaCertificateItselfIsNotAPeer) {
  auto v = NewVerifier();
  ASSERT_NE(v, nullptr);
  absl::Status s = v->Verify(ReadFile(ca_ + "/ca.crt"), "", NowUnix()).status();
  EXPECT_THAT(s.message(), HasSubstr("no spiffe://kupang/node/... URI SAN"));
}

TEST_F(VerifierTest, MissingPeerCertificateIsRefused) {
  auto v = NewVerifier();
  ASSERT_NE(v, nullptr);
  absl::Status s = v->Verify("", "", NowUnix()).status();
  EXPECT_TRUE(absl::IsUnauthenticated(s));
  EXPECT_EQ(s.message(), "no peer certificate");
}

TEST_F(VerifierTest, CreateNamesAMissingCaFile) {
  auto v = CertVerifier::Create(tmp_.Sub("nope.crt"), "");
  EXPECT_TRUE(absl::IsNotFound(v.status())) << v.status();
  EXPECT_THAT(v.status().message(), HasSubstr(tmp_.Sub("nope.crt")));
}

TEST_F(VerifierTest, CreateNamesACaFileThatDoesNotParse) {
  ilp::testing::WriteFile(tmp_.Sub("junk.crt"), "not a certificate\n");
  auto v = CertVerifier::Create(tmp_.Sub("junk.crt"), "");
  EXPECT_TRUE(absl::IsInvalidArgument(v.status())) << v.status();
  EXPECT_THAT(v.status().message(), HasSubstr(tmp_.Sub("junk.crt")));
}

}  // namespace
}  // namespace ilp::pki
