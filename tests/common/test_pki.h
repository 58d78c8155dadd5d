// A district CA in a temporary directory, for tests that run real ilp-node
// processes over TLS. Certificates are made by the same library `ilpctl pki`
// uses. Clients connect with stock gRPC TLS credentials (SslCredentials), as
// any app would, presenting an operator certificate.
#ifndef ILP_TESTS_COMMON_TEST_PKI_H_
#define ILP_TESTS_COMMON_TEST_PKI_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>

#include "tests/common/temp_dir.h"

namespace ilp::testing {

class TestPki {
 public:
  // Creates a CA for `district` in a new temp dir, and an operator
  // certificate "tester"; points ILPCTL_CA/CERT/KEY at them so ilpctl
  // processes started by the test reach TLS nodes.
  explicit TestPki(const std::string& district = "kupang");

  // The process-wide test CA.
  static TestPki& Default();

  // A `tls { ... }` textproto block for node `id` (issued once, for host
  // 127.0.0.1 and localhost).
  std::string NodeTls(const std::string& id);

  // A channel to a node at `addr` (127.0.0.1:port) as the operator, every
  // call also carrying token() (nodes get the test token key from
  // WithTestTls, so Records calls pass the access gate).
  std::shared_ptr<grpc::Channel> Channel(const std::string& addr) const;

  // The district token key pair (token.key, token.pub in dir(); one pair
  // per test process, shared by every TestPki), and a token "tester" (role operator, every scope, every province) signed with
  // it, valid ten years. Default() exports it as ILPCTL_TOKEN.
  std::string token_key() const { return dir() + "/token.key"; }
  std::string token_pub() const { return dir() + "/token.pub"; }
  const std::string& token() const { return token_; }
  // An `auth { ... }` textproto block naming token_pub().
  std::string AuthBlock() const;

  const std::string& dir() const { return dir_.path(); }
  std::string ca_file() const { return dir() + "/ca.crt"; }
  std::string crl_dir() const { return dir() + "/crl"; }
  std::string operator_cert() const { return dir() + "/operator-tester.crt"; }
  std::string operator_key() const { return dir() + "/operator-tester.key"; }

 private:
  TempDir dir_;
  std::map<std::string, std::string> issued_;  // node id -> tls block
  std::string token_;
};

// `config_text` with a tls block for its node from TestPki::Default(), unless
// it already has one or says `insecure`.
std::string WithTestTls(const std::string& config_text);

// Reads a whole file ("" if missing).
std::string Slurp(const std::string& path);

}  // namespace ilp::testing

#endif  // ILP_TESTS_COMMON_TEST_PKI_H_
