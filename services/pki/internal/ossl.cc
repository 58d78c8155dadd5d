#include "services/pki/internal/ossl.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <climits>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ilp::pki::internal {
namespace {

// A read-only memory BIO over `s` (valid while `s` lives).
BioPtr MemIn(absl::string_view s) { return BioPtr(BIO_new_mem_buf(s.data(), static_cast<int>(s.size()))); }

// Everything written to a memory BIO, as a string.
std::string Drain(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

}  // namespace

std::string OpensslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no details";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

absl::Status OpensslStatus(absl::StatusCode code, absl::string_view what) {
  return absl::Status(code, absl::StrCat(what, ": ", OpensslError()));
}

absl::StatusOr<PkeyPtr> NewP256Key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpensslStatus(absl::StatusCode::kInternal, "generating an ECDSA P-256 key");
  return key;
}

absl::StatusOr<std::vector<X509Ptr>> ParseCertsPem(absl::string_view pem) {
  BioPtr bio = MemIn(pem);
  std::vector<X509Ptr> certs;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(c);
  // The loop ends on end-of-data (PEM_R_NO_START_LINE) or on a broken block.
  const unsigned long e = ERR_peek_last_error();
  const bool clean_end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
  if (!clean_end && e != 0) return OpensslStatus(absl::StatusCode::kInvalidArgument, "bad PEM certificate");
  ERR_clear_error();
  if (certs.empty()) return absl::InvalidArgumentError("no PEM certificate");
  return certs;
}

absl::StatusOr<CrlPtr> ParseCrlPem(absl::string_view pem) {
  BioPtr bio = MemIn(pem);
  CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (!crl) return OpensslStatus(absl::StatusCode::kInvalidArgument, "not a PEM CRL");
  return crl;
}

absl::StatusOr<PkeyPtr> ParseKeyPem(absl::string_view pem) {
  BioPtr bio = MemIn(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return OpensslStatus(absl::StatusCode::kInvalidArgument, "not a PEM private key");
  return key;
}

std::string CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return Drain(bio.get());
}

std::string CrlPem(X509_CRL* crl) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_CRL(bio.get(), crl);
  return Drain(bio.get());
}

std::string KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return Drain(bio.get());
}

int64_t AsnTimeToUnix(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return INT64_MIN;
  return static_cast<int64_t>(timegm(&tm));
}

std::string SerialHex(const ASN1_INTEGER* serial) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  if (bn == nullptr) return "";
  char* hex = BN_bn2hex(bn);
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::string CanonicalSerialHex(absl::string_view hex) {
  if (absl::StartsWithIgnoreCase(hex, "0x")) hex.remove_prefix(2);
  if (hex.empty() || hex.size() > 40) return "";
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return "";
  }
  while (hex.size() > 1 && hex.front() == '0') hex.remove_prefix(1);
  return absl::AsciiStrToUpper(hex);
}

std::vector<std::string> UriSans(X509* cert) {
  std::vector<std::string> out;
  NamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type != GEN_URI) continue;
    const ASN1_IA5STRING* s = gn->d.uniformResourceIdentifier;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
  }
  return out;
}

std::string CommonName(const X509_NAME* name) {
  const int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return "";
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

std::string CrlFileName(X509* ca) {
  int ok = 0;
  const unsigned long h = X509_NAME_hash_ex(X509_get_subject_name(ca), nullptr, nullptr, &ok);
  return absl::StrFormat("%08lx.r0", h);
}

}  // namespace ilp::pki::internal
