// The bundle file (services/bundle/bundle_file.h): what a kader's USB stick
// carries must reach only its recipient, unaltered, and a copy cut short must
// say how far it got.
#include "services/bundle/bundle_file.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "services/pki/ca.h"
#include "tests/common/temp_dir.h"

namespace ilp::bundle {
namespace {

using ::ilp::testing::ReadFile;
using ::ilp::testing::TempDir;

// A district CA and the node keys the tests use.
class BundleFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki::InitCa(ca_.Sub("ca"), "belu", 30).ok());
    pos_ = Issue("pos-1");
    pkm_ = Issue("pkm-1");
    other_pkm_ = Issue("pkm-2");
    absl::StatusOr<std::unique_ptr<pki::CertVerifier>> v =
        pki::CertVerifier::Create(ca_.Sub("ca/ca.crt"), ca_.Sub("ca/crl"));
    ASSERT_TRUE(v.ok()) << v.status();
    verifier_ = std::move(*v);
  }

  NodeKeys Issue(const std::string& id) {
    absl::StatusOr<pki::IssuedCert> c = pki::IssueNode(ca_.Sub("ca"), id, {"localhost"}, 30);
    EXPECT_TRUE(c.ok()) << c.status();
    serials_[id] = c.ok() ? c->serial_hex : "";
    return NodeKeys{id, ReadFile(c->cert_path), ReadFile(c->key_path)};
  }

  static std::vector<v1::Batch> Batches() {
    std::vector<v1::Batch> out;
    for (uint64_t c : {12, 20, 31}) {
      v1::Batch b;
      b.set_cursor(c);
      b.set_count(2);
      b.set_payload("visit of NIK 5304011201900001 at cursor " + std::to_string(c));
      out.push_back(b);
    }
    return out;
  }

  static v1::BundleHeader Header(const std::string& to) {
    v1::BundleHeader h;
    h.set_bundle_id("0123456789abcdef0123456789abcdef");
    h.set_sender_incarnation("inc-1");
    h.set_recipient(to);
    h.set_from_cursor(10);
    h.set_to_cursor(31);
    h.set_created_ms(1'790'000'000'000);
    return h;
  }

  std::string Write() {
    absl::StatusOr<std::string> f = WriteBundle(Header("pkm-1"), Batches(), pos_, pkm_.cert_pem);
    EXPECT_TRUE(f.ok()) << f.status();
    return f.value_or("");
  }

  absl::StatusOr<OpenedBundle> Read(absl::string_view file, const NodeKeys& me) {
    return ReadBundle(file, *verifier_, kNow, me);
  }

  static constexpr int64_t kNow = -1;  // no trusted time yet: validity not judged
  TempDir ca_;
  NodeKeys pos_, pkm_, other_pkm_;
  std::map<std::string, std::string> serials_;
  std::unique_ptr<pki::CertVerifier> verifier_;
};

TEST_F(BundleFileTest, ARecipientReadsEveryBatchInOrderFromAVerifiedSender) {
  const std::string file = Write();
  absl::StatusOr<OpenedBundle> b = Read(file, pkm_);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->complete);
  EXPECT_EQ(b->sender.id, "pos-1");
  EXPECT_EQ(b->header.sender(), "pos-1");
  EXPECT_EQ(b->header.sender_incarnation(), "inc-1");
  ASSERT_EQ(b->batches.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(b->batches[i].SerializeAsString(), Batches()[i].SerializeAsString());
  }
}

TEST_F(BundleFileTest, ALostStickRevealsNoPatientData) {
  const std::string file = Write();
  EXPECT_FALSE(absl::StrContains(file, "5304011201900001"));
  EXPECT_FALSE(absl::StrContains(file, "visit of"));
}

TEST_F(BundleFileTest, OnlyTheNamedRecipientCanReadIt) {
  const std::string file = Write();
  absl::StatusOr<OpenedBundle> other = Read(file, other_pkm_);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition) << other.status();
  EXPECT_TRUE(absl::StrContains(other.status().message(), "is for node pkm-1")) << other.status();
  // The same node with a re-issued certificate cannot open what was sealed
  // to the old one, and is told why.
  NodeKeys reissued = Issue("pkm-1");
  absl::StatusOr<OpenedBundle> again = Read(file, reissued);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition) << again.status();
  EXPECT_TRUE(absl::StrContains(again.status().message(), "another certificate")) << again.status();
}

TEST_F(BundleFileTest, EveryCutKeepsOnlyTheWholeBatchesBeforeItAndSaysWhere) {
  const std::string file = Write();
  size_t last_count = 0;
  for (size_t len = 0; len < file.size(); ++len) {
    absl::StatusOr<OpenedBundle> b = Read(absl::string_view(file).substr(0, len), pkm_);
    if (!b.ok()) {
      // Cut inside the magic, header or signature: nothing can be read.
      EXPECT_TRUE(b.status().code() == absl::StatusCode::kDataLoss ||
                  b.status().code() == absl::StatusCode::kInvalidArgument)
          << len << ": " << b.status();
      EXPECT_EQ(last_count, 0u) << "an error after batches were readable, at " << len;
      continue;
    }
    EXPECT_FALSE(b->complete) << len;
    EXPECT_TRUE(absl::StrContains(b->cut, "cut short after batch")) << b->cut;
    ASSERT_GE(b->batches.size(), last_count) << len;
    for (size_t i = 0; i < b->batches.size(); ++i) {
      EXPECT_EQ(b->batches[i].cursor(), Batches()[i].cursor());
    }
    last_count = b->batches.size();
  }
  // Only the trailer was missing at the end: all three batches were there.
  EXPECT_EQ(last_count, 3u);
}

TEST_F(BundleFileTest, NoAlteredByteIsEverTakenAsWhole) {
  const std::string file = Write();
  for (size_t i = 0; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] ^= 0x20;
    absl::StatusOr<OpenedBundle> b = Read(bad, pkm_);
    if (!b.ok()) continue;  // refused: nothing is returned
    // A frame length made larger reads as a cut; what it returns is still
    // only authentic batches, and never a whole bundle.
    EXPECT_FALSE(b->complete) << "byte " << i << " altered, yet the bundle read as whole";
    for (size_t k = 0; k < b->batches.size(); ++k) {
      EXPECT_EQ(b->batches[k].SerializeAsString(), Batches()[k].SerializeAsString()) << i;
    }
  }
}

TEST_F(BundleFileTest, ASenderOutsideTheDistrictOrRevokedIsRefused) {
  TempDir other;
  ASSERT_TRUE(pki::InitCa(other.Sub("ca"), "belu", 30).ok());
  absl::StatusOr<pki::IssuedCert> c = pki::IssueNode(other.Sub("ca"), "pos-1", {"localhost"}, 30);
  ASSERT_TRUE(c.ok()) << c.status();
  NodeKeys stranger{"pos-1", ReadFile(c->cert_path), ReadFile(c->key_path)};
  absl::StatusOr<std::string> forged = WriteBundle(Header("pkm-1"), Batches(), stranger, pkm_.cert_pem);
  ASSERT_TRUE(forged.ok()) << forged.status();
  EXPECT_EQ(Read(*forged, pkm_).status().code(), absl::StatusCode::kUnauthenticated);

  const std::string file = Write();
  ASSERT_TRUE(pki::Revoke(ca_.Sub("ca"), serials_["pos-1"]).ok());
  ASSERT_TRUE(verifier_->TEST_ReloadIfChanged().ok());
  absl::StatusOr<OpenedBundle> b = Read(file, pkm_);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kUnauthenticated) << b.status();
  EXPECT_TRUE(absl::StrContains(b.status().message(), "revoked")) << b.status();
}

// Rewrites the header of `file` (the signature no longer matters: version and
// features are judged first).
std::string WithHeader(const std::string& file, const std::function<void(v1::BundleHeader*)>& edit) {
  uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len |= uint32_t{static_cast<unsigned char>(file[8 + i])} << (8 * i);
  v1::BundleHeader h;
  EXPECT_TRUE(h.ParseFromString(file.substr(12, len)));
  edit(&h);
  const std::string bytes = h.SerializeAsString();
  std::string out = file.substr(0, 8);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((bytes.size() >> (8 * i)) & 0xff));
  return out + bytes + file.substr(12 + len);
}

TEST_F(BundleFileTest, ANewerFormatOrAnUnknownFeatureIsRefusedByName) {
  const std::string file = Write();
  absl::StatusOr<OpenedBundle> v2 = Read(WithHeader(file, [](v1::BundleHeader* h) { h->set_format_version(2); }), pkm_);
  EXPECT_EQ(v2.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(v2.status().message(), "format version 2")) << v2.status();
  absl::StatusOr<OpenedBundle> feat =
      Read(WithHeader(file, [](v1::BundleHeader* h) { h->add_required_features("columnar"); }), pkm_);
  EXPECT_EQ(feat.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(feat.status().message(), "\"columnar\"")) << feat.status();
  // Any other header change breaks the signature.
  absl::StatusOr<OpenedBundle> moved =
      Read(WithHeader(file, [](v1::BundleHeader* h) { h->set_to_cursor(99); }), pkm_);
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kUnauthenticated) << moved.status();
}

TEST_F(BundleFileTest, TheWriterRefusesWhatAReaderWouldRefuse) {
  std::vector<v1::Batch> back = Batches();
  back[2].set_cursor(15);
  absl::StatusOr<std::string> f = WriteBundle(Header("pkm-1"), back, pos_, pkm_.cert_pem);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(f.status().message(), "batches[2].cursor")) << f.status();
  NodeKeys mixed = pos_;
  mixed.key_pem = pkm_.key_pem;
  f = WriteBundle(Header("pkm-1"), Batches(), mixed, pkm_.cert_pem);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(f.status().message(), "does not match")) << f.status();
  v1::BundleHeader h = Header("pkm-1");
  h.clear_bundle_id();
  EXPECT_EQ(WriteBundle(h, Batches(), pos_, pkm_.cert_pem).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BundleFileTest, AnEmptyBundleIsWholeAndCarriesItsRange) {
  v1::BundleHeader h = Header("pkm-1");
  h.set_to_cursor(10);
  absl::StatusOr<std::string> f = WriteBundle(h, {}, pos_, pkm_.cert_pem);
  ASSERT_TRUE(f.ok()) << f.status();
  absl::StatusOr<OpenedBundle> b = Read(*f, pkm_);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->complete);
  EXPECT_TRUE(b->batches.empty());
}

// `ilpctl bundle inspect` at a desk without the recipient's key: what the
// header says, whether the file is whole, and who signed it.
TEST_F(BundleFileTest, InspectTellsRangeCountsWholenessAndSignerWithoutTheKey) {
  const std::string file = Write();
  absl::StatusOr<BundleSummary> s = InspectBundle(file, verifier_.get(), kNow);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->header.sender(), "pos-1");
  EXPECT_EQ(s->header.recipient(), "pkm-1");
  EXPECT_EQ(s->header.from_cursor(), 10u);
  EXPECT_EQ(s->header.to_cursor(), 31u);
  EXPECT_EQ(s->header.batches(), 3u);
  EXPECT_EQ(s->header.changes(), 6u);
  EXPECT_EQ(s->bytes, file.size());
  EXPECT_TRUE(s->whole());
  ASSERT_TRUE(s->sender.ok()) << s->sender.status();
  EXPECT_EQ(s->sender->id, "pos-1");

  // Without a CA the signature is reported as not checked.
  absl::StatusOr<BundleSummary> unchecked = InspectBundle(file, nullptr, kNow);
  ASSERT_TRUE(unchecked.ok());
  EXPECT_TRUE(absl::StrContains(unchecked->sender.status().message(), "not checked"));

  // A copy cut inside its last batch, or after it, is not whole.
  for (size_t cut : {file.size() - 1, file.size() - 60}) {
    absl::StatusOr<BundleSummary> c = InspectBundle(file.substr(0, cut), verifier_.get(), kNow);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_FALSE(c->whole()) << "cut at " << cut;
    EXPECT_TRUE(c->sender.ok());
  }

  // A changed header fails the signature; a stranger's bundle fails the chain.
  absl::StatusOr<BundleSummary> moved =
      InspectBundle(WithHeader(file, [](v1::BundleHeader* h) { h->set_to_cursor(99); }), verifier_.get(), kNow);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->sender.status().code(), absl::StatusCode::kUnauthenticated) << moved->sender.status();
  EXPECT_EQ(InspectBundle("not a bundle", verifier_.get(), kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The header carries, signed, how many batches and changes the frames hold.
TEST_F(BundleFileTest, TheWriterSignsTheBatchAndChangeCounts) {
  absl::StatusOr<OpenedBundle> b = Read(Write(), pkm_);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->header.batches(), 3u);
  EXPECT_EQ(b->header.changes(), 6u);
}

}  // namespace
}  // namespace ilp::bundle
