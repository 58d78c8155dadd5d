#include "tests/common/test_pki.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"
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
}

TestPki& TestPki::Default() {
  static TestPki* pki = [] {
    auto* p = new TestPki();
    setenv("ILPCTL_CA", p->ca_file().c_str(), 1);
    setenv("ILPCTL_CERT", p->operator_cert().c_str(), 1);
    setenv("ILPCTL_KEY", p->operator_key().c_str(), 1);
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
  return grpc::CreateChannel(addr, grpc::SslCredentials(o));
}

std::string WithTestTls(const std::string& config_text) {
  if (config_text.find("insecure") != std::string::npos ||
      config_text.find("tls {") != std::string::npos) {
    return config_text;
  }
  std::smatch m;
  static const std::regex kNodeId("node_id:\\s*\"([^\"]+)\"");
  if (!std::regex_search(config_text, m, kNodeId)) return config_text;
  return absl::StrCat(config_text, "\n", TestPki::Default().NodeTls(m[1].str()));
}

}  // namespace ilp::testing
