#include "services/bundle/bundle_crypto.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/util/status_macros.h"

namespace ilp::bundle::internal {
namespace {

using pki::internal::OpensslStatus;
using pki::internal::PkeyPtr;

struct MdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct KdfFree { void operator()(EVP_KDF* p) const { EVP_KDF_free(p); } };
struct KdfCtxFree { void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); } };

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// True if `key` is an EC key on P-256 (OpenSSL's "prime256v1").
bool IsP256(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
  char group[64];
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) return false;
  return absl::string_view(group, len) == "prime256v1";
}

}  // namespace

std::string Sha256(absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

absl::StatusOr<ParsedCert> ParseP256Cert(absl::string_view pem, absl::string_view what) {
  absl::StatusOr<std::vector<pki::internal::X509Ptr>> certs = pki::internal::ParseCertsPem(pem);
  if (!certs.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", certs.status().message()));
  }
  ParsedCert out;
  out.cert = std::move(certs->front());
  out.key = X509_get0_pubkey(out.cert.get());
  if (out.key == nullptr || !IsP256(out.key)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the key is not EC P-256"));
  }
  unsigned char* der = nullptr;
  const int n = i2d_X509(out.cert.get(), &der);
  if (n <= 0) return OpensslStatus(absl::StatusCode::kInvalidArgument, what);
  out.sha256 = Sha256(absl::string_view(reinterpret_cast<char*>(der), n));
  OPENSSL_free(der);
  return out;
}

absl::StatusOr<PkeyPtr> ParseP256Key(absl::string_view pem, absl::string_view what) {
  absl::StatusOr<PkeyPtr> key = pki::internal::ParseKeyPem(pem);
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", key.status().message()));
  if (!IsP256(key->get())) return absl::InvalidArgumentError(absl::StrCat(what, ": not an EC P-256 key"));
  return key;
}

absl::StatusOr<std::string> Sign(EVP_PKEY* key, absl::string_view msg) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, Bytes(msg), msg.size()) != 1) {
    return OpensslStatus(absl::StatusCode::kInternal, "signing the bundle header");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(msg),
                     msg.size()) != 1) {
    return OpensslStatus(absl::StatusCode::kInternal, "signing the bundle header");
  }
  sig.resize(len);
  return sig;
}

bool Verify(EVP_PKEY* pub, absl::string_view msg, absl::string_view sig) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pub) == 1 &&
                  EVP_DigestVerify(ctx.get(), Bytes(sig), sig.size(), Bytes(msg), msg.size()) == 1;
  ERR_clear_error();  // a bad signature leaves its reason queued; the caller names it
  return ok;
}

absl::StatusOr<std::string> PublicKeyDer(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return OpensslStatus(absl::StatusCode::kInternal, "encoding the one-time key");
  std::string out(reinterpret_cast<char*>(der), n);
  OPENSSL_free(der);
  return out;
}

absl::StatusOr<PkeyPtr> ParsePublicKeyDer(absl::string_view der) {
  const unsigned char* p = Bytes(der);
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key || p != Bytes(der) + der.size() || !IsP256(key.get())) {
    ERR_clear_error();
    return absl::InvalidArgumentError("header.ephemeral_public_key: not a P-256 public key");
  }
  return key;
}

absl::StatusOr<StreamKey> AgreeKey(EVP_PKEY* mine, EVP_PKEY* theirs,
                                   absl::string_view ephemeral_der, absl::string_view info) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(mine, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), theirs) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return OpensslStatus(absl::StatusCode::kInvalidArgument, "ECDH with the bundle's key");
  }
  std::vector<unsigned char> secret(len);
  if (EVP_PKEY_derive(ctx.get(), secret.data(), &len) != 1) {
    return OpensslStatus(absl::StatusCode::kInvalidArgument, "ECDH with the bundle's key");
  }
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> kctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret.data(), len),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(ephemeral_der.data()),
                                        ephemeral_der.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end()};
  StreamKey key;
  const bool ok = kctx && EVP_KDF_derive(kctx.get(), key.data(), key.size(), params) == 1;
  OPENSSL_cleanse(secret.data(), secret.size());
  if (!ok) return OpensslStatus(absl::StatusCode::kInternal, "HKDF of the bundle key");
  return key;
}

}  // namespace ilp::bundle::internal
