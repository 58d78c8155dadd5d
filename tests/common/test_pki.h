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

  // A channel to a node at `addr` (127.0.0.1:port) as the operator.
  std::shared_ptr<grpc::Channel> Channel(const std::string& addr) const;

  const std::string& dir() const { return dir_.path(); }
  std::string ca_file() const { return dir() + "/ca.crt"; }
  std::string crl_dir() const { return dir() + "/crl"; }
  std::string operator_cert() const { return dir() + "/operator-tester.crt"; }
  std::string operator_key() const { return dir() + "/operator-tester.key"; }

 private:
  TempDir dir_;
  std::map<std::string, std::string> issued_;  // node id -> tls block
};

// `config_text` with a tls block for its node from TestPki::Default(), unless
// it already has one or says `insecure`.
std::string WithTestTls(const std::string& config_text);

// Reads a whole file ("" if missing).
std::string Slurp(const std::string& path);

}  // namespace ilp::testing

#endif  // ILP_TESTS_COMMON_TEST_PKI_H_
