#include "services/bundle/bundle_file.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/bundle/bundle_crypto.h"
#include "storage/util/status_macros.h"

namespace ilp::bundle {
namespace {

using internal::StreamKey;
using pki::internal::PkeyPtr;

constexpr absl::string_view kMagic = "ILPBNDL1";
constexpr absl::string_view kSignContext{"ilp-sync bundle header\0", 23};
constexpr size_t kStreamHeaderBytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr size_t kSealBytes = crypto_secretstream_xchacha20poly1305_ABYTES;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Reads a u32 at *pos; false if fewer than 4 bytes remain.
bool GetU32(absl::string_view in, size_t* pos, uint32_t* v) {
  if (in.size() - *pos < 4) return false;
  *v = 0;
  for (int i = 0; i < 4; ++i) *v |= uint32_t{static_cast<unsigned char>(in[*pos + i])} << (8 * i);
  *pos += 4;
  return true;
}

// "ilp-sync bundle v1 <sender> -> <recipient>": what the stream key is for.
std::string KeyInfo(const v1::BundleHeader& h) {
  return absl::StrCat("ilp-sync bundle v1 ", h.sender(), " -> ", h.recipient());
}

absl::Status SodiumReady() {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  return absl::OkStatus();
}

absl::Status CheckRange(const v1::BundleHeader& h, const std::vector<v1::Batch>& batches) {
  uint64_t last = h.from_cursor();
  for (size_t i = 0; i < batches.size(); ++i) {
    const uint64_t c = batches[i].cursor();
    if (c <= last || c > h.to_cursor()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "batches[", i, "].cursor: ", c, " must rise and lie in (from_cursor ", h.from_cursor(),
          ", to_cursor ", h.to_cursor(), "]"));
    }
    last = c;
  }
  return absl::OkStatus();
}

// The signed part of a file: magic, header and signature.
struct Head {
  v1::BundleHeader header;
  absl::string_view header_bytes;
  absl::string_view sig;
  size_t frames_at = 0;  // where the first frame starts
};

// Parses the head; when `me` is given, refuses a bundle for someone else
// before reading the signature (so a misdirected bundle names its recipient).
absl::StatusOr<Head> ReadHead(absl::string_view file, const NodeKeys* me) {
  if (file.size() < kMagic.size() || file.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError("not an ilp-sync bundle (the file does not start with ILPBNDL1)");
  }
  size_t pos = kMagic.size();
  uint32_t header_len = 0, sig_len = 0;
  if (!GetU32(file, &pos, &header_len) || header_len > file.size() - pos) {
    return absl::DataLossError("bundle cut short inside its header: nothing in it can be read");
  }
  if (header_len > kMaxHeaderBytes) {
    return absl::InvalidArgumentError(absl::StrCat("bundle header of ", header_len, " bytes: over the limit of ",
                                                   kMaxHeaderBytes));
  }
  Head head;
  v1::BundleHeader& h = head.header;
  head.header_bytes = file.substr(pos, header_len);
  pos += header_len;
  if (!h.ParseFromString(std::string(head.header_bytes))) {
    return absl::InvalidArgumentError("bundle header does not parse");
  }
  if (h.format_version() != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat("bundle format version ", h.format_version(),
                                                      "; this node reads version ", kFormatVersion,
                                                      ": upgrade ilp-node to import it"));
  }
  if (h.required_features_size() > 0) {
    return absl::FailedPreconditionError(absl::StrCat("bundle needs feature \"", h.required_features(0),
                                                      "\", which this node does not know: upgrade ilp-node"));
  }
  if (me != nullptr) {
    if (h.recipient() != me->node_id) {
      return absl::FailedPreconditionError(
          absl::StrCat("bundle ", h.bundle_id(), " is for node ", h.recipient(), ", not ", me->node_id));
    }
    ILP_ASSIGN_OR_RETURN(internal::ParsedCert mine, internal::ParseP256Cert(me->cert_pem, "own certificate"));
    if (h.recipient_cert_sha256() != mine.sha256) {
      return absl::FailedPreconditionError(absl::StrCat(
          "bundle ", h.bundle_id(), " is sealed to another certificate of ", me->node_id,
          " (was the certificate re-issued?): ask ", h.sender(), " to export it again"));
    }
  }
  if (!GetU32(file, &pos, &sig_len) || sig_len > file.size() - pos) {
    return absl::DataLossError("bundle cut short inside its signature: nothing in it can be read");
  }
  if (sig_len > kMaxHeaderBytes) return absl::InvalidArgumentError("bundle signature: over the limit");
  head.sig = file.substr(pos, sig_len);
  head.frames_at = pos + sig_len;
  return head;
}

// Who sent it, judged at trusted time, and that they signed this header.
absl::StatusOr<pki::PeerIdentity> CheckSender(const Head& head, const pki::CertVerifier& verifier,
                                              int64_t trusted_unix_s) {
  const v1::BundleHeader& h = head.header;
  ILP_ASSIGN_OR_RETURN(pki::PeerIdentity sender,
                       verifier.Verify(h.sender_cert_pem(), h.sender_chain_pem(), trusted_unix_s));
  if (sender.kind != pki::PeerIdentity::kNode || sender.id != h.sender()) {
    return absl::UnauthenticatedError(absl::StrCat("bundle names sender ", h.sender(),
                                                   " but its certificate is ", sender.spiffe_id));
  }
  ILP_ASSIGN_OR_RETURN(internal::ParsedCert theirs,
                       internal::ParseP256Cert(h.sender_cert_pem(), "header.sender_cert_pem"));
  if (!internal::Verify(theirs.key, absl::StrCat(kSignContext, head.header_bytes), head.sig)) {
    return absl::UnauthenticatedError(
        absl::StrCat("bundle ", h.bundle_id(), ": the header signature of ", h.sender(), " does not verify"));
  }
  return sender;
}

}  // namespace

absl::StatusOr<std::string> WriteBundle(v1::BundleHeader header, const std::vector<v1::Batch>& batches,
                                        const NodeKeys& sender, absl::string_view recipient_cert_pem) {
  ILP_RETURN_IF_ERROR(SodiumReady());
  if (header.bundle_id().empty()) return absl::InvalidArgumentError("header.bundle_id: is required");
  if (header.recipient().empty()) return absl::InvalidArgumentError("header.recipient: is required");
  if (sender.node_id.empty()) return absl::InvalidArgumentError("sender.node_id: is required");
  if (header.to_cursor() < header.from_cursor()) {
    return absl::InvalidArgumentError("header.to_cursor: must not be below from_cursor");
  }
  ILP_RETURN_IF_ERROR(CheckRange(header, batches));
  header.set_batches(static_cast<uint32_t>(batches.size()));
  uint64_t changes = 0;
  for (const v1::Batch& b : batches) changes += b.count();
  header.set_changes(changes);
  ILP_ASSIGN_OR_RETURN(internal::ParsedCert own, internal::ParseP256Cert(sender.cert_pem, "sender certificate"));
  ILP_ASSIGN_OR_RETURN(PkeyPtr own_key, internal::ParseP256Key(sender.key_pem, "sender key"));
  if (X509_check_private_key(own.cert.get(), own_key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("sender key: does not match the sender certificate");
  }
  ILP_ASSIGN_OR_RETURN(internal::ParsedCert to,
                       internal::ParseP256Cert(recipient_cert_pem, "recipient certificate"));

  // A one-time key: its ECDH with the recipient's certificate key seals the stream.
  ILP_ASSIGN_OR_RETURN(PkeyPtr eph, pki::internal::NewP256Key());
  ILP_ASSIGN_OR_RETURN(std::string eph_der, internal::PublicKeyDer(eph.get()));
  header.set_format_version(kFormatVersion);
  header.set_sender(sender.node_id);
  header.set_sender_cert_pem(sender.cert_pem);
  header.set_recipient_cert_sha256(to.sha256);
  header.set_ephemeral_public_key(eph_der);
  ILP_ASSIGN_OR_RETURN(StreamKey key, internal::AgreeKey(eph.get(), to.key, eph_der, KeyInfo(header)));
  eph.reset();  // the one-time private key is not needed again

  crypto_secretstream_xchacha20poly1305_state st;
  unsigned char stream_header[kStreamHeaderBytes];
  crypto_secretstream_xchacha20poly1305_init_push(&st, stream_header, key.data());
  sodium_memzero(key.data(), key.size());
  header.set_stream_header(std::string(reinterpret_cast<char*>(stream_header), kStreamHeaderBytes));

  std::string header_bytes;
  if (!header.SerializeToString(&header_bytes) || header_bytes.size() > kMaxHeaderBytes) {
    return absl::InvalidArgumentError("header: does not serialize within the header limit");
  }
  ILP_ASSIGN_OR_RETURN(std::string sig, internal::Sign(own_key.get(), absl::StrCat(kSignContext, header_bytes)));
  const std::string ad = internal::Sha256(header_bytes);

  std::string out(kMagic);
  PutU32(&out, static_cast<uint32_t>(header_bytes.size()));
  out += header_bytes;
  PutU32(&out, static_cast<uint32_t>(sig.size()));
  out += sig;
  auto seal = [&](const v1::BundleFrame& frame, unsigned char tag) -> absl::Status {
    const std::string plain = frame.SerializeAsString();
    if (plain.size() > kMaxFrameBytes) {
      return absl::InvalidArgumentError(absl::StrCat("batch of ", plain.size(), " bytes: over the frame limit"));
    }
    std::string sealed(plain.size() + kSealBytes, '\0');
    unsigned long long n = 0;
    crypto_secretstream_xchacha20poly1305_push(
        &st, reinterpret_cast<unsigned char*>(sealed.data()), &n,
        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
        reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), tag);
    PutU32(&out, static_cast<uint32_t>(n));
    out.append(sealed.data(), n);
    return absl::OkStatus();
  };
  v1::BundleFrame frame;
  for (const v1::Batch& b : batches) {
    *frame.mutable_batch() = b;
    ILP_RETURN_IF_ERROR(seal(frame, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE));
  }
  frame.mutable_trailer()->set_batches(static_cast<uint32_t>(batches.size()));
  frame.mutable_trailer()->set_last_cursor(batches.empty() ? header.from_cursor() : batches.back().cursor());
  ILP_RETURN_IF_ERROR(seal(frame, crypto_secretstream_xchacha20poly1305_TAG_FINAL));
  sodium_memzero(&st, sizeof(st));
  return out;
}

absl::StatusOr<OpenedBundle> ReadBundle(absl::string_view file, const pki::CertVerifier& verifier,
                                        int64_t trusted_unix_s, const NodeKeys& me) {
  ILP_RETURN_IF_ERROR(SodiumReady());
  ILP_ASSIGN_OR_RETURN(const Head head, ReadHead(file, &me));
  OpenedBundle out;
  out.header = head.header;
  const v1::BundleHeader& h = out.header;
  ILP_ASSIGN_OR_RETURN(out.sender, CheckSender(head, verifier, trusted_unix_s));
  const absl::string_view header_bytes = head.header_bytes;
  size_t pos = head.frames_at;

  ILP_ASSIGN_OR_RETURN(PkeyPtr own_key, internal::ParseP256Key(me.key_pem, "own key"));
  ILP_ASSIGN_OR_RETURN(PkeyPtr eph, internal::ParsePublicKeyDer(h.ephemeral_public_key()));
  ILP_ASSIGN_OR_RETURN(StreamKey key,
                       internal::AgreeKey(own_key.get(), eph.get(), h.ephemeral_public_key(), KeyInfo(h)));
  crypto_secretstream_xchacha20poly1305_state st;
  const bool stream_ok =
      h.stream_header().size() == kStreamHeaderBytes &&
      crypto_secretstream_xchacha20poly1305_init_pull(
          &st, reinterpret_cast<const unsigned char*>(h.stream_header().data()), key.data()) == 0;
  sodium_memzero(key.data(), key.size());
  if (!stream_ok) return absl::DataLossError("header.stream_header: not a valid stream header");

  const std::string ad = internal::Sha256(header_bytes);
  uint64_t last = h.from_cursor();
  std::string plain;
  for (;;) {
    const size_t frame_at = pos;
    uint32_t len = 0;
    if (!GetU32(file, &pos, &len) || len > file.size() - pos) {
      out.cut = absl::StrCat("cut short after batch ", out.batches.size(), " (cursor ", last, ") at byte ",
                             frame_at, " of ", file.size(), "; the bundle runs to cursor ", h.to_cursor());
      break;
    }
    if (len < kSealBytes || len > kMaxFrameBytes + kSealBytes) {
      return absl::InvalidArgumentError(absl::StrCat("frame at byte ", frame_at, ": length ", len, " out of range"));
    }
    plain.resize(len - kSealBytes);
    unsigned long long n = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(
            &st, reinterpret_cast<unsigned char*>(plain.data()), &n, &tag,
            reinterpret_cast<const unsigned char*>(file.data() + pos), len,
            reinterpret_cast<const unsigned char*>(ad.data()), ad.size()) != 0) {
      return absl::DataLossError(absl::StrCat("frame ", out.batches.size() + 1, " at byte ", frame_at,
                                              " does not authenticate: the bundle was altered; nothing applied"));
    }
    pos += len;
    v1::BundleFrame frame;
    if (!frame.ParseFromArray(plain.data(), static_cast<int>(n))) {
      return absl::DataLossError(absl::StrCat("frame at byte ", frame_at, " does not parse"));
    }
    const bool final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    if (frame.has_batch() && !final) {
      const uint64_t c = frame.batch().cursor();
      if (c <= last || c > h.to_cursor()) {
        return absl::DataLossError(absl::StrCat("batch at byte ", frame_at, ": cursor ", c,
                                                " outside the bundle's range or not rising"));
      }
      last = c;
      out.batches.push_back(std::move(*frame.mutable_batch()));
      continue;
    }
    if (!frame.has_trailer() || !final) {
      return absl::DataLossError(absl::StrCat("frame at byte ", frame_at, ": a trailer must end the stream"));
    }
    if (frame.trailer().batches() != out.batches.size() || frame.trailer().last_cursor() != last ||
        h.batches() != out.batches.size()) {
      return absl::DataLossError("the trailer disagrees with the batches read");
    }
    if (pos != file.size()) {
      return absl::DataLossError(absl::StrCat(file.size() - pos, " bytes after the trailer: the bundle was altered"));
    }
    out.complete = true;
    break;
  }
  sodium_memzero(&st, sizeof(st));
  return out;
}

absl::StatusOr<BundleSummary> InspectBundle(absl::string_view file, const pki::CertVerifier* verifier,
                                            int64_t trusted_unix_s) {
  ILP_RETURN_IF_ERROR(SodiumReady());
  absl::StatusOr<Head> head = ReadHead(file, nullptr);
  if (!head.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot inspect: ", head.status().message()));
  }
  BundleSummary out;
  out.header = head->header;
  out.bytes = file.size();
  if (verifier != nullptr) out.sender = CheckSender(*head, *verifier, trusted_unix_s);
  size_t pos = head->frames_at;
  for (;;) {
    if (pos == file.size()) {
      out.ends_on_frame = true;
      break;
    }
    uint32_t len = 0;
    if (!GetU32(file, &pos, &len) || len > file.size() - pos || len < kSealBytes) break;
    pos += len;
    ++out.frames;
  }
  return out;
}

}  // namespace ilp::bundle
