#include "tests/pki/pki_test_util.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace ilp::pki::testing {
namespace {

int64_t ToUnix(const ASN1_TIME* t) {
  struct tm tm {};
  ASN1_TIME_to_tm(t, &tm);
  return timegm(&tm);
}

// Every general name of type `type` in `cert`'s subjectAltName.
std::vector<const GENERAL_NAME*> Sans(X509* cert, int type, GENERAL_NAMES** owner) {
  *owner = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  std::vector<const GENERAL_NAME*> out;
  for (int i = 0; *owner && i < sk_GENERAL_NAME_num(*owner); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(*owner, i);
    if (gn->type == type) out.push_back(gn);
  }
  return out;
}

}  // namespace

X509Ptr ReadCert(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  X509Ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

int64_t NotBefore(X509* cert) { return ToUnix(X509_get0_notBefore(cert)); }
int64_t NotAfter(X509* cert) { return ToUnix(X509_get0_notAfter(cert)); }

std::vector<std::string> DnsSans(X509* cert) {
  GENERAL_NAMES* names = nullptr;
  std::vector<std::string> out;
  for (const GENERAL_NAME* gn : Sans(cert, GEN_DNS, &names)) {
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)),
                     ASN1_STRING_length(gn->d.dNSName));
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::vector<std::string> IpSans(X509* cert) {
  GENERAL_NAMES* names = nullptr;
  std::vector<std::string> out;
  for (const GENERAL_NAME* gn : Sans(cert, GEN_IPADD, &names)) {
    const int len = ASN1_STRING_length(gn->d.iPAddress);
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(gn->d.iPAddress), buf, sizeof buf);
    out.emplace_back(buf);
  }
  GENERAL_NAMES_free(names);
  return out;
}

int FileMode(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return -1;
  return st.st_mode & 07777;
}

int64_t NowUnix() { return absl::ToUnixSeconds(absl::Now()); }

std::string CrlName(const std::string& ca_crt) {
  X509Ptr ca = ReadCert(ca_crt);
  if (!ca) return "";
  return absl::StrFormat("%08lx.r0", X509_NAME_hash_ex(X509_get_subject_name(ca.get()), nullptr, nullptr, nullptr));
}

}  // namespace ilp::pki::testing
