// Owning handles and small conversions over OpenSSL 3, shared by the CA and
// the verifier. Nothing here does cryptography itself: every operation is an
// OpenSSL call.
#ifndef ILP_SERVICES_PKI_INTERNAL_OSSL_H_
#define ILP_SERVICES_PKI_INTERNAL_OSSL_H_

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ilp::pki::internal {

struct X509Free { void operator()(X509* p) const { X509_free(p); } };
struct X509CrlFree { void operator()(X509_CRL* p) const { X509_CRL_free(p); } };
struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct BioFree { void operator()(BIO* p) const { BIO_free(p); } };
struct StoreFree { void operator()(X509_STORE* p) const { X509_STORE_free(p); } };
struct StoreCtxFree { void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); } };
struct NamesFree { void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); } };
struct Asn1IntFree { void operator()(ASN1_INTEGER* p) const { ASN1_INTEGER_free(p); } };
struct X509StackFree { void operator()(STACK_OF(X509)* p) const { sk_X509_pop_free(p, X509_free); } };

using X509Ptr = std::unique_ptr<X509, X509Free>;
using CrlPtr = std::unique_ptr<X509_CRL, X509CrlFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, StoreCtxFree>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, NamesFree>;
using Asn1IntPtr = std::unique_ptr<ASN1_INTEGER, Asn1IntFree>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

// The oldest error on OpenSSL's thread-local queue as text ("no details" if
// empty); clears the queue.
std::string OpensslError();

// `code` error "<what>: <OpenSSL reason>".
ABSL_MUST_USE_RESULT absl::Status OpensslStatus(absl::StatusCode code, absl::string_view what);

// A fresh ECDSA P-256 key pair. INTERNAL on failure.
ABSL_MUST_USE_RESULT absl::StatusOr<PkeyPtr> NewP256Key();

// Every PEM certificate in `pem`, in order. INVALID_ARGUMENT if there is none
// or one does not parse.
ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<X509Ptr>> ParseCertsPem(absl::string_view pem);

// The one PEM CRL in `pem`. INVALID_ARGUMENT if it does not parse.
ABSL_MUST_USE_RESULT absl::StatusOr<CrlPtr> ParseCrlPem(absl::string_view pem);

// The one PEM private key in `pem`. INVALID_ARGUMENT if it does not parse.
ABSL_MUST_USE_RESULT absl::StatusOr<PkeyPtr> ParseKeyPem(absl::string_view pem);

// PEM text of a certificate, CRL or private key (PKCS#8, unencrypted).
std::string CertPem(X509* cert);
std::string CrlPem(X509_CRL* crl);
std::string KeyPem(EVP_PKEY* key);

// Seconds since the epoch of an ASN.1 time; INT64_MIN if it cannot be read.
int64_t AsnTimeToUnix(const ASN1_TIME* t);

// Uppercase hex of a positive serial without leading zeros ("0" for zero).
std::string SerialHex(const ASN1_INTEGER* serial);

// `hex` (any case, optional "0x", leading zeros allowed) as a serial in
// SerialHex's canonical form; "" if it is not hex.
std::string CanonicalSerialHex(absl::string_view hex);

// Every URI subject alternative name of `cert`, in order.
std::vector<std::string> UriSans(X509* cert);

// The common name of `name`; "" if there is none.
std::string CommonName(const X509_NAME* name);

// The name under which OpenSSL's hashed directory lookup (`openssl rehash`,
// X509_LOOKUP_hash_dir, gRPC's CRL directory) finds CRLs issued by `ca`,
// e.g. "1a2b3c4d.r0".
std::string CrlFileName(X509* ca);

}  // namespace ilp::pki::internal

#endif  // ILP_SERVICES_PKI_INTERNAL_OSSL_H_
