#include "tests/common/test_pki.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/auth/paseto.h"
#include "services/auth/token.h"
#include "services/pki/ca.h"

namespace ilp::testing {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TestPki::TestPki(const std::string& district) {
  absl::Status s = pki::InitCa(dir(), district, 3650);
  if (!s.ok()) ADD_FAILURE() << "pki init: " << s;
  absl::StatusOr<pki::IssuedCert> op = pki::IssueOperator(dir(), "tester", 30);
  if (!op.ok()) ADD_FAILURE() << "pki issue-operator: " << op.status();
  // One token key pair for the whole test process, written into every test
  // CA's dir: a token of any TestPki verifies at any test node.
  static const auto* keys = [] {
    auto* k = new std::pair<auth::PublicKey, auth::SecretKey>();
    auth::NewKeyPair(&k->first, &k->second);
    return k;
  }();
  const auth::PublicKey& pk = keys->first;
  const auth::SecretKey& sk = keys->second;
  std::ofstream(token_key()) << auth::ToPaserk(sk) << "\n";
  std::ofstream(token_pub()) << auth::ToPaserk(pk) << "\n";
  v1::TokenClaims c;
  c.set_sub("tester");
  c.set_role("operator");
  for (int p = 11; p <= 99; ++p) c.add_area(absl::StrCat(p));
  for (const char* s : {"records:read", "records:write", "admin:read", "admin:write"}) {
    c.add_scopes(s);
  }
  absl::StatusOr<std::string> t = auth::IssueToken(sk, c, absl::Now(), absl::Hours(24 * 3650));
  if (!t.ok()) ADD_FAILURE() << "token issue: " << t.status();
  token_ = t.ok() ? *t : "";
}

std::string TestPki::AuthBlock() const {
  return absl::StrCat("auth { token_public_key_file: \"", token_pub(), "\" }\n");
}

TestPki& TestPki::Default() {
  static TestPki* pki = [] {
    auto* p = new TestPki();
    setenv("ILPCTL_CA", p->ca_file().c_str(), 1);
    setenv("ILPCTL_CERT", p->operator_cert().c_str(), 1);
    setenv("ILPCTL_KEY", p->operator_key().c_str(), 1);
    setenv("ILPCTL_TOKEN", p->token().c_str(), 1);
    return p;
  }();
  return *pki;
}

std::string TestPki::NodeTls(const std::string& id) {
  auto it = issued_.find(id);
  if (it != issued_.end()) return it->second;
  absl::StatusOr<pki::IssuedCert> c = pki::IssueNode(dir(), id, {"127.0.0.1", "localhost"}, 30);
  if (!c.ok()) ADD_FAILURE() << "pki issue-node " << id << ": " << c.status();
  std::string block = absl::StrCat("tls { ca_file: \"", ca_file(), "\" cert_file: \"", dir(), "/",
                                   id, ".crt\" key_file: \"", dir(), "/", id, ".key\" crl_dir: \"",
                                   crl_dir(), "\" }\n");
  issued_[id] = block;
  return block;
}

std::shared_ptr<grpc::Channel> TestPki::Channel(const std::string& addr) const {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = Slurp(ca_file());
  o.pem_cert_chain = Slurp(operator_cert());
  o.pem_private_key = Slurp(operator_key());
  return grpc::CreateChannel(
      addr, grpc::CompositeChannelCredentials(grpc::SslCredentials(o),
                                              grpc::AccessTokenCredentials(token_)));
}

std::string WithTestTls(const std::string& config_text) {
  if (config_text.find("insecure") != std::string::npos) return config_text;
  if (config_text.find("tls {") != std::string::npos) {
    if (config_text.find("auth {") != std::string::npos) return config_text;
    return absl::StrCat(config_text, "\n", TestPki::Default().AuthBlock());
  }
  std::smatch m;
  static const std::regex kNodeId("node_id:\\s*\"([^\"]+)\"");
  if (!std::regex_search(config_text, m, kNodeId)) return config_text;
  if (config_text.find("auth {") != std::string::npos) {
    return absl::StrCat(config_text, "\n", TestPki::Default().NodeTls(m[1].str()));
  }
  return absl::StrCat(config_text, "\n", TestPki::Default().NodeTls(m[1].str()),
                      TestPki::Default().AuthBlock());
}

}  // namespace ilp::testing
