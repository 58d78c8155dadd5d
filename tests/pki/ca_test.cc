// The district CA through the real `ilpctl pki` binary: files, modes, SANs,
// exit codes, and agreement with the openssl CLI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "services/pki/ca.h"
#include "tests/common/run_command.h"
#include "tests/common/temp_dir.h"
#include "tests/pki/pki_test_util.h"

namespace ilp::pki {
namespace {

using ::ilp::testing::CommandResult;
using ::ilp::testing::Ilpctl;
using ::ilp::testing::ReadFile;
using ::ilp::testing::RunCommand;
using ::ilp::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using namespace ::ilp::pki::testing;

// The value of `key` in ilpctl's "key  value" table output; "" if absent.
std::string Field(const std::string& out, const std::string& key) {
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    std::vector<std::string> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    if (kv.size() == 2 && kv[0] == key) return std::string(absl::StripLeadingAsciiWhitespace(kv[1]));
  }
  return "";
}

class PkiCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CommandResult r = Ilpctl({"pki", "init", "--dir", ca_, "--district", "kupang"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  TempDir tmp_;
  const std::string ca_ = tmp_.Sub("ca");
};

TEST_F(PkiCliTest, InitWritesCaCertAndKeyWithKeyMode0600) {
  EXPECT_NE(ReadCert(ca_ + "/ca.crt"), nullptr);
  EXPECT_EQ(FileMode(ca_ + "/ca.key"), 0600);
  EXPECT_EQ(FileMode(ca_), 0700);
  EXPECT_NE(FileMode(ca_ + "/crl/" + CrlName(ca_ + "/ca.crt")), -1);
  EXPECT_NE(FileMode(ca_ + "/index.txt"), -1);
}

TEST_F(PkiCliTest, SecondInitOnSameDirFailsAndChangesNothing) {
  const std::string crl = ca_ + "/crl/" + CrlName(ca_ + "/ca.crt");
  const std::string cert = ReadFile(ca_ + "/ca.crt"), key = ReadFile(ca_ + "/ca.key"),
                    crl_pem = ReadFile(crl), index = ReadFile(ca_ + "/index.txt");
  CommandResult r = Ilpctl({"pki", "init", "--dir", ca_, "--district", "other"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(ca_ + "/ca.key"));
  EXPECT_EQ(ReadFile(ca_ + "/ca.crt"), cert);
  EXPECT_EQ(ReadFile(ca_ + "/ca.key"), key);
  EXPECT_EQ(ReadFile(crl), crl_pem);
  EXPECT_EQ(ReadFile(ca_ + "/index.txt"), index);
}

TEST_F(PkiCliTest, IssuedNodeCertCarriesOneSanPerHost) {
  CommandResult r = Ilpctl({"pki", "issue-node", "--dir", ca_, "--node-id", "pkm-oebobo", "--host",
                            "pkm.kupang.example", "--host", "10.1.2.3", "--host", "::1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Field(r.out, "cert_path"), ca_ + "/pkm-oebobo.crt");
  EXPECT_EQ(Field(r.out, "spiffe_id"), "spiffe://kupang/node/pkm-oebobo");
  EXPECT_FALSE(Field(r.out, "serial_hex").empty());
  X509Ptr cert = ReadCert(ca_ + "/pkm-oebobo.crt");
  ASSERT_NE(cert, nullptr);
  EXPECT_THAT(DnsSans(cert.get()), ElementsAre("pkm.kupang.example"));
  EXPECT_THAT(IpSans(cert.get()), UnorderedElementsAre("10.1.2.3", "::1"));
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(FileMode(ca_ + "/pkm-oebobo.key"), 0600);
}

TEST_F(PkiCliTest, IssueNodeWithoutDirIsAUsageError) {
  EXPECT_EQ(Ilpctl({"pki", "issue-node", "--node-id", "pkm-1"}).exit_code, 2);
}

TEST_F(PkiCliTest, InvalidNodeIdExitsOneNamingTheFlag) {
  CommandResult r = Ilpctl({"pki", "issue-node", "--dir", ca_, "--node-id", "pkm/../x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--node-id"));
}

TEST_F(PkiCliTest, InvalidDistrictExitsOneNamingTheFlag) {
  CommandResult r = Ilpctl({"pki", "init", "--dir", tmp_.Sub("ca2"), "--district", "Kupang City"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--district"));
  EXPECT_EQ(FileMode(tmp_.Sub("ca2")), -1);
}

TEST_F(PkiCliTest, RevokingASerialThisCaNeverIssuedIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(Revoke(ca_, "DEADBEEF").status()));
  CommandResult r = Ilpctl({"pki", "revoke", "--dir", ca_, "--serial", "DEADBEEF"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("DEADBEEF"));
}

TEST_F(PkiCliTest, IssuingWithoutACaNamesTheMissingKey) {
  CommandResult r = Ilpctl({"pki", "issue-node", "--dir", tmp_.Sub("none"), "--node-id", "pkm-1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(tmp_.Sub("none") + "/ca.key"));
  EXPECT_EQ(FileMode(tmp_.Sub("none")), -1);
}

TEST_F(PkiCliTest, OpensslVerifyAgreesBeforeAndAfterRevocation) {
  const std::string openssl = "/usr/bin/openssl";
  if (access(openssl.c_str(), X_OK) != 0) GTEST_SKIP() << "openssl CLI not installed";
  CommandResult issued = Ilpctl({"pki", "issue-node", "--dir", ca_, "--node-id", "pustu-1"});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  const std::string crl = ca_ + "/crl/" + CrlName(ca_ + "/ca.crt");
  const std::vector<std::string> verify = {openssl, "verify", "-CAfile", ca_ + "/ca.crt", "-crl_check",
                                           "-CRLfile", crl, ca_ + "/pustu-1.crt"};
  CommandResult hash = RunCommand({openssl, "x509", "-hash", "-noout", "-in", ca_ + "/ca.crt"});
  EXPECT_EQ(hash.out, CrlName(ca_ + "/ca.crt").substr(0, 8) + "\n");
  CommandResult before = RunCommand(verify);
  EXPECT_EQ(before.exit_code, 0) << before.out << before.err;
  ASSERT_EQ(Ilpctl({"pki", "revoke", "--dir", ca_, "--serial", Field(issued.out, "serial_hex")}).exit_code, 0);
  CommandResult after = RunCommand(verify);
  EXPECT_NE(after.exit_code, 0);
  EXPECT_THAT(after.out + after.err, HasSubstr("revoked"));
}

}  // namespace
}  // namespace ilp::pki
