#include "services/pki/internal/x509_build.h"

#include <openssl/bn.h>
#include <openssl/rand.h>

#include "absl/strings/str_cat.h"

namespace ilp::pki::internal {
namespace {

absl::Status Fail(absl::string_view what) { return OpensslStatus(absl::StatusCode::kInternal, what); }

// A random positive serial of 128 bits (RFC 5280 allows up to 20 octets).
Asn1IntPtr RandomSerial() {
  unsigned char buf[16];
  BIGNUM* bn = nullptr;
  do {
    if (RAND_bytes(buf, sizeof buf) != 1) return nullptr;
    BN_free(bn);
    bn = BN_bin2bn(buf, sizeof buf, nullptr);
  } while (bn != nullptr && BN_is_zero(bn));
  Asn1IntPtr out(bn ? BN_to_ASN1_INTEGER(bn, nullptr) : nullptr);
  BN_free(bn);
  return out;
}

// Asn1 integer of a canonical hex serial.
Asn1IntPtr SerialFromHex(const std::string& hex) {
  BIGNUM* bn = nullptr;
  if (BN_hex2bn(&bn, hex.c_str()) == 0) return nullptr;
  Asn1IntPtr out(BN_to_ASN1_INTEGER(bn, nullptr));
  BN_free(bn);
  return out;
}

// Adds one extension given in OpenSSL's config syntax ("critical,CA:TRUE").
bool AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Appends an IA5String general name (URI or DNS) to `names`.
bool PushIa5(GENERAL_NAMES* names, int type, const std::string& value) {
  ASN1_IA5STRING* s = ASN1_IA5STRING_new();
  GENERAL_NAME* gn = GENERAL_NAME_new();
  if (s == nullptr || gn == nullptr || ASN1_STRING_set(s, value.data(), static_cast<int>(value.size())) != 1) {
    ASN1_IA5STRING_free(s);
    GENERAL_NAME_free(gn);
    return false;
  }
  GENERAL_NAME_set0_value(gn, type, s);
  return sk_GENERAL_NAME_push(names, gn) > 0;
}

// Appends an iPAddress general name parsed by OpenSSL from `literal`.
bool PushIp(GENERAL_NAMES* names, const std::string& literal) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(literal.c_str());
  GENERAL_NAME* gn = GENERAL_NAME_new();
  if (ip == nullptr || gn == nullptr) {
    ASN1_OCTET_STRING_free(ip);
    GENERAL_NAME_free(gn);
    return false;
  }
  GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
  return sk_GENERAL_NAME_push(names, gn) > 0;
}

// subjectAltName from the spec's URIs and hosts (nothing if both are empty).
bool AddSans(X509* cert, const CertSpec& spec) {
  if (spec.uris.empty() && spec.hosts.empty()) return true;
  NamesPtr names(sk_GENERAL_NAME_new_null());
  bool ok = names != nullptr;
  for (const std::string& u : spec.uris) ok = ok && PushIa5(names.get(), GEN_URI, u);
  for (const HostSan& h : spec.hosts) ok = ok && (h.is_ip ? PushIp(names.get(), h.value) : PushIa5(names.get(), GEN_DNS, h.value));
  return ok && X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

// The extensions that make up each profile.
bool AddProfile(X509* cert, X509* issuer, CertSpec::Profile p) {
  if (p == CertSpec::kCa) {
    return AddExt(cert, issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
           AddExt(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  return AddExt(cert, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
         AddExt(cert, issuer, NID_key_usage, "critical,digitalSignature") &&
         AddExt(cert, issuer, NID_ext_key_usage, p == CertSpec::kNode ? "serverAuth,clientAuth" : "clientAuth");
}

// Sets `field` (notBefore / notAfter storage) to unix time `t`.
bool SetTime(ASN1_TIME* field, int64_t t) { return ASN1_TIME_set(field, static_cast<time_t>(t)) != nullptr; }

}  // namespace

absl::StatusOr<X509Ptr> BuildCert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer,
                                  EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  Asn1IntPtr serial = RandomSerial();
  if (!cert || !serial) return Fail("allocating a certificate");
  X509* self_or_issuer = issuer ? issuer : cert.get();
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>(spec.common_name.c_str());
  const bool ok =
      X509_set_version(cert.get(), X509_VERSION_3) == 1 && X509_set_serialNumber(cert.get(), serial.get()) == 1 &&
      X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8, cn, -1, -1, 0) == 1 &&
      X509_set_issuer_name(cert.get(), X509_get_subject_name(self_or_issuer)) == 1 &&
      SetTime(X509_getm_notBefore(cert.get()), spec.not_before) &&
      SetTime(X509_getm_notAfter(cert.get()), spec.not_after) && X509_set_pubkey(cert.get(), subject_key) == 1 &&
      AddProfile(cert.get(), self_or_issuer, spec.profile) &&
      AddExt(cert.get(), self_or_issuer, NID_subject_key_identifier, "hash") &&
      (issuer == nullptr || AddExt(cert.get(), issuer, NID_authority_key_identifier, "keyid:always")) &&
      AddSans(cert.get(), spec);
  if (!ok) return Fail(absl::StrCat("building the certificate for ", spec.common_name));
  if (X509_sign(cert.get(), issuer_key ? issuer_key : subject_key, EVP_sha256()) <= 0) {
    return Fail(absl::StrCat("signing the certificate for ", spec.common_name));
  }
  return cert;
}

absl::StatusOr<std::string> SignCrl(X509* ca, EVP_PKEY* ca_key, const std::vector<IndexEntry>& entries,
                                    int64_t number, int64_t now, int64_t next_update) {
  CrlPtr crl(X509_CRL_new());
  ASN1_TIME* last = ASN1_TIME_set(nullptr, static_cast<time_t>(now));
  ASN1_TIME* next = ASN1_TIME_set(nullptr, static_cast<time_t>(next_update));
  Asn1IntPtr num(ASN1_INTEGER_new());
  bool ok = crl && last && next && num && X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) == 1 &&
            X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca)) == 1 &&
            X509_CRL_set1_lastUpdate(crl.get(), last) == 1 && X509_CRL_set1_nextUpdate(crl.get(), next) == 1 &&
            ASN1_INTEGER_set_int64(num.get(), number) == 1 &&
            X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, num.get(), 0, X509V3_ADD_DEFAULT) == 1;
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  for (size_t i = 0; ok && i < entries.size(); ++i) {
    if (!entries[i].revoked) continue;
    X509_REVOKED* r = X509_REVOKED_new();
    Asn1IntPtr serial = SerialFromHex(entries[i].serial_hex);
    ASN1_TIME* when = ASN1_TIME_set(nullptr, static_cast<time_t>(entries[i].revoked_at));
    ok = r && serial && when && X509_REVOKED_set_serialNumber(r, serial.get()) == 1 &&
         X509_REVOKED_set_revocationDate(r, when) == 1 && X509_CRL_add0_revoked(crl.get(), r) == 1;
    if (!ok) X509_REVOKED_free(r);
    ASN1_TIME_free(when);
  }
  if (ok) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca, nullptr, nullptr, crl.get(), 0);
    X509_EXTENSION* akid = X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always");
    ok = akid != nullptr && X509_CRL_add_ext(crl.get(), akid, -1) == 1;
    X509_EXTENSION_free(akid);
  }
  if (!ok || X509_CRL_sort(crl.get()) != 1) return Fail("building the CRL");
  if (X509_CRL_sign(crl.get(), ca_key, EVP_sha256()) <= 0) return Fail("signing the CRL");
  return CrlPem(crl.get());
}

int64_t CrlNumber(X509_CRL* crl) {
  Asn1IntPtr n(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr)));
  int64_t out = 0;
  if (!n || ASN1_INTEGER_get_int64(&out, n.get()) != 1) return 0;
  return out;
}

}  // namespace ilp::pki::internal
