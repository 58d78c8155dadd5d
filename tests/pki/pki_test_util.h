// Helpers for the district CA tests: a CA in a temp dir, certificates read
// back with OpenSSL, and the current time.
#ifndef ILP_TESTS_PKI_PKI_TEST_UTIL_H_
#define ILP_TESTS_PKI_PKI_TEST_UTIL_H_

#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ilp::pki::testing {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

// The first certificate in PEM file `path`; null if there is none.
X509Ptr ReadCert(const std::string& path);

// Unix seconds of the certificate's notBefore / notAfter.
int64_t NotBefore(X509* cert);
int64_t NotAfter(X509* cert);

// DNS SANs, and IP SANs as text ("10.1.2.3", "::1"), of `cert`.
std::vector<std::string> DnsSans(X509* cert);
std::vector<std::string> IpSans(X509* cert);

// The file mode bits (e.g. 0600) of `path`; -1 if it cannot be stat-ed.
int FileMode(const std::string& path);

// Unix seconds now, from the system clock (the tests' "trusted" time).
int64_t NowUnix();

// OpenSSL's hashed-dir name for CRLs of the CA in `ca_crt` ("1a2b3c4d.r0").
std::string CrlName(const std::string& ca_crt);

}  // namespace ilp::pki::testing

#endif  // ILP_TESTS_PKI_PKI_TEST_UTIL_H_
