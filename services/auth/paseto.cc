#include "services/auth/paseto.h"

#include <sodium.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ilp::auth {
namespace {

constexpr char kHeader[] = "v4.public.";

void Le64(uint64_t n, std::string* out) {
  n &= ~(uint64_t{1} << 63);  // the spec clears the top bit
  for (int i = 0; i < 8; ++i) {
    out->push_back(static_cast<char>(n & 0xff));
    n >>= 8;
  }
}

std::string B64(absl::string_view in) {
  std::string out(sodium_base64_ENCODED_LEN(in.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(in.data()), in.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

bool UnB64(absl::string_view in, std::string* out) {
  out->assign(in.size(), '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out->data()), out->size(), in.data(), in.size(),
                        nullptr, &len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != in.data() + in.size()) {
    return false;
  }
  out->resize(len);
  return true;
}

struct SodiumInit {
  SodiumInit() {
    if (sodium_init() < 0) std::abort();  // no usable randomness: nothing is safe
  }
};

void EnsureSodium() { static SodiumInit once; }

}  // namespace

void NewKeyPair(PublicKey* pk, SecretKey* sk) {
  EnsureSodium();
  crypto_sign_keypair(pk->bytes.data(), sk->bytes.data());
}

std::string Pae(const std::vector<absl::string_view>& pieces) {
  std::string out;
  Le64(pieces.size(), &out);
  for (absl::string_view p : pieces) {
    Le64(p.size(), &out);
    out.append(p.data(), p.size());
  }
  return out;
}

std::string SignV4Public(const SecretKey& sk, absl::string_view message, absl::string_view footer,
                         absl::string_view implicit_assertion) {
  EnsureSodium();
  const std::string m2 = Pae({kHeader, message, footer, implicit_assertion});
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(m2.data()), m2.size(),
                       sk.bytes.data());
  std::string body(message);
  body.append(reinterpret_cast<const char*>(sig), sizeof(sig));
  std::string token = absl::StrCat(kHeader, B64(body));
  if (!footer.empty()) absl::StrAppend(&token, ".", B64(footer));
  return token;
}

absl::StatusOr<Verified> VerifyV4Public(const PublicKey& pk, absl::string_view token,
                                        absl::string_view implicit_assertion) {
  EnsureSodium();
  if (!absl::ConsumePrefix(&token, kHeader)) {
    return absl::UnauthenticatedError("token: not a PASETO v4.public token");
  }
  absl::string_view body64 = token, footer64;
  if (size_t dot = token.find('.'); dot != absl::string_view::npos) {
    body64 = token.substr(0, dot);
    footer64 = token.substr(dot + 1);
  }
  Verified v;
  std::string body;
  if (!UnB64(body64, &body) || body.size() < crypto_sign_BYTES || !UnB64(footer64, &v.footer)) {
    return absl::UnauthenticatedError("token: bad base64url encoding");
  }
  v.message = body.substr(0, body.size() - crypto_sign_BYTES);
  const std::string m2 = Pae({kHeader, v.message, v.footer, implicit_assertion});
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(body.data() + v.message.size()),
                                  reinterpret_cast<const unsigned char*>(m2.data()), m2.size(),
                                  pk.bytes.data()) != 0) {
    return absl::UnauthenticatedError("token: bad signature (not issued by this district's token key)");
  }
  return v;
}

std::string ToPaserk(const PublicKey& pk) {
  return absl::StrCat("k4.public.", B64(absl::string_view(reinterpret_cast<const char*>(pk.bytes.data()), 32)));
}

std::string ToPaserk(const SecretKey& sk) {
  return absl::StrCat("k4.secret.", B64(absl::string_view(reinterpret_cast<const char*>(sk.bytes.data()), 64)));
}

absl::StatusOr<PublicKey> ParsePublicPaserk(absl::string_view s) {
  s = absl::StripAsciiWhitespace(s);
  std::string raw;
  if (!absl::ConsumePrefix(&s, "k4.public.") || !UnB64(s, &raw) || raw.size() != 32) {
    return absl::InvalidArgumentError("token public key: want a PASERK \"k4.public.<base64url of 32 bytes>\"");
  }
  PublicKey pk;
  std::copy(raw.begin(), raw.end(), pk.bytes.begin());
  return pk;
}

absl::StatusOr<SecretKey> ParseSecretPaserk(absl::string_view s) {
  s = absl::StripAsciiWhitespace(s);
  std::string raw;
  if (!absl::ConsumePrefix(&s, "k4.secret.") || !UnB64(s, &raw) || raw.size() != 64) {
    return absl::InvalidArgumentError("token secret key: want a PASERK \"k4.secret.<base64url of 64 bytes>\"");
  }
  SecretKey sk;
  std::copy(raw.begin(), raw.end(), sk.bytes.begin());
  return sk;
}

}  // namespace ilp::auth
