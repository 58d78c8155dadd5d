// Bundles imported into real nodes (domain scenario 6): a posyandu's bundle
// imported at the Puskesmas skipping the Pustu, idempotent imports, cut and
// altered copies, refused senders, receipts and the return bundle. The
// nodes run in one process (tests/replication/harness.h); their bundle desks
// use certificates of a test district CA.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "services/bundle/bundle_desk.h"
#include "services/pki/ca.h"
#include "tests/common/temp_dir.h"
#include "tests/replication/harness.h"

namespace ilp {
namespace {

using bundle::BundleDesk;
using testing::Hierarchy;
using testing::NodeSpec;
using testing::ReadFile;
using testing::TempDir;

const char kMawar[] = "5371031001";
const char kMelati[] = "5371031002";
const char* const kIds[] = {"dinkes-kupang", "pkm-oebobo", "pustu-oetete", "pos-mawar", "pos-melati"};

std::vector<NodeSpec> District() {
  return {
      {"dinkes-kupang", v1::DISTRICT, {"5371"}, ""},
      {"pkm-oebobo", v1::PUSKESMAS, {"537103"}, "dinkes-kupang"},
      {"pustu-oetete", v1::PUSTU, {kMawar, kMelati}, "pkm-oebobo"},
      {"pos-mawar", v1::POSYANDU, {kMawar}, "pustu-oetete"},
      {"pos-melati", v1::POSYANDU, {kMelati}, "pustu-oetete"},
  };
}

class BundleImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Certificates are valid from the real now: the fake clocks start there.
    h_ = std::make_unique<Hierarchy>(District(), absl::ToUnixMillis(absl::Now()) + 60'000, 7,
                                     /*max_batch_bytes=*/4096);
    ASSERT_TRUE(pki::InitCa(ca_.Sub("ca"), "kupang", 30).ok());
    absl::StatusOr<std::unique_ptr<pki::CertVerifier>> v =
        pki::CertVerifier::Create(ca_.Sub("ca/ca.crt"), ca_.Sub("ca/crl"));
    ASSERT_TRUE(v.ok()) << v.status();
    verifier_ = std::move(*v);
    for (const char* id : kIds) {
      absl::StatusOr<pki::IssuedCert> c = pki::IssueNode(ca_.Sub("ca"), id, {"localhost"}, 30);
      ASSERT_TRUE(c.ok()) << c.status();
      serials_[id] = c->serial_hex;
      keys_[id] = bundle::NodeKeys{id, ReadFile(c->cert_path), ReadFile(c->key_path)};
      Node* n = h_->node(id);
      desks_[id] = std::make_unique<BundleDesk>(
          keys_[id], verifier_.get(), n->sync(), n->hlc(),
          std::vector<std::string>(n->config().working_area().begin(), n->config().working_area().end()));
    }
    // The tree met online once (the Puskesmas learns its Pustu's subtree),
    // then the posyandu went offline.
    h_->SyncAll(1);
  }

  uint64_t Head(const std::string& id) { return h_->node(id)->store()->LastSeq(); }
  bool Has(const std::string& id, const std::string& record) {
    return h_->node(id)->store()->Get(record).ok();
  }

  // A posyandu day: `n` children registered and weighed at pos-mawar.
  std::vector<std::string> PosyanduDay(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      v1::Patient p = testing::NewPatient(h_->api("pos-mawar"), "Anak " + std::to_string(i), kMawar);
      v1::RecordEncounterRequest req;
      req.mutable_encounter()->set_patient_id(p.id());
      req.mutable_encounter()->set_kind(v1::POSYANDU_SESSION);
      *req.mutable_encounter()->mutable_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(
          h_->clock("pos-mawar")->NowMs());
      auto* o = req.add_observations();
      o->set_loinc("29463-7");
      o->set_value(8.1 + i * 0.1);
      o->set_unit("kg");
      EXPECT_TRUE(h_->api("pos-mawar")->RecordEncounter(req).ok());
      ids.push_back(p.id());
    }
    return ids;
  }

  std::string Export(const std::string& from, const std::string& to) {
    absl::StatusOr<BundleDesk::Exported> e = desks_[from]->Export(to, keys_[to].cert_pem);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? e->file : "";
  }

  TempDir ca_;
  std::unique_ptr<Hierarchy> h_;
  std::unique_ptr<pki::CertVerifier> verifier_;
  std::map<std::string, std::string> serials_;
  std::map<std::string, bundle::NodeKeys> keys_;
  std::map<std::string, std::unique_ptr<BundleDesk>> desks_;
};

TEST_F(BundleImportTest, PosyanduBundleReachesThePuskesmasSkippingThePustuAndComesBack) {
  h_->Advance(21LL * 24 * 3600 * 1000);  // three weeks without signal
  const uint64_t pos_before = Head("pos-mawar");
  std::vector<std::string> ids = PosyanduDay(4);
  const uint64_t written = Head("pos-mawar") - pos_before;
  const std::string file = Export("pos-mawar", "pkm-oebobo");
  const uint64_t pustu_before = Head("pustu-oetete");
  const uint64_t pkm_before = Head("pkm-oebobo");

  absl::StatusOr<BundleDesk::Imported> in = desks_["pkm-oebobo"]->Import(file);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(in->complete);
  // Every change the posyandu logged, applied once, and logged once here.
  EXPECT_EQ(in->receipt_info.changes(), written);
  EXPECT_EQ(Head("pkm-oebobo") - pkm_before, written);
  EXPECT_EQ(in->receipt_info.quarantined(), 0u);
  for (const auto& id : ids) EXPECT_TRUE(Has("pkm-oebobo", id));
  EXPECT_EQ(Head("pustu-oetete"), pustu_before);  // skipped

  // Relayed upward as if synced; the Pustu gets its village's records from above.
  ASSERT_TRUE(h_->Sync("pkm-oebobo").ok());
  for (const auto& id : ids) EXPECT_TRUE(Has("dinkes-kupang", id));
  ASSERT_TRUE(h_->Sync("pustu-oetete").ok());
  for (const auto& id : ids) EXPECT_TRUE(Has("pustu-oetete", id));

  // The receipt comes back on the stick: the posyandu's next session with
  // its Pustu sends nothing up and changes no change log.
  absl::StatusOr<v1::BundleReceipt> r = desks_["pos-mawar"]->TakeReceipt(in->receipt);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->applied_to(), in->header.to_cursor());
  std::map<std::string, uint64_t> heads;
  for (const char* id : kIds) heads[id] = Head(id);
  absl::StatusOr<SessionStats> s = h_->Sync("pos-mawar");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->sent_changes, 0u);
  for (const char* id : kIds) EXPECT_EQ(Head(id), heads[id]) << id;

  // The way back: a referral from the Puskesmas to the posyandu travels in
  // a return bundle, after the posyandu's changes it already has.
  v1::CreateReferralRequest rr;
  rr.mutable_referral()->set_patient_id(ids[0]);
  rr.mutable_referral()->set_to_node("pos-mawar");
  rr.mutable_referral()->set_reason("back-referral: follow up weight in 2 weeks");
  absl::StatusOr<v1::Referral> ref = h_->api("pkm-oebobo")->CreateReferral(rr);
  ASSERT_TRUE(ref.ok()) << ref.status();
  const std::string back = Export("pkm-oebobo", "pos-mawar");
  absl::StatusOr<BundleDesk::Imported> home = desks_["pos-mawar"]->Import(back);
  ASSERT_TRUE(home.ok()) << home.status();
  EXPECT_TRUE(Has("pos-mawar", ref->id()));
  ASSERT_TRUE(desks_["pkm-oebobo"]->TakeReceipt(home->receipt).ok());
  // Receipted: the next return bundle starts after it and carries nothing.
  absl::StatusOr<BundleDesk::Exported> again = desks_["pkm-oebobo"]->Export("pos-mawar", keys_["pos-mawar"].cert_pem);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->batches, 0u);
  EXPECT_EQ(again->header.from_cursor(), home->header.to_cursor());
}

TEST_F(BundleImportTest, VolumesCoverTheLogInAnyOrderAndReceiptsAcknowledgeOnlyWhatIsContiguous) {
  // A day synced online first: the volumes start at what the Pustu acknowledged.
  PosyanduDay(2);
  ASSERT_TRUE(h_->Sync("pos-mawar").ok());
  std::vector<std::string> ids = PosyanduDay(24);  // several 4 KiB batches
  const std::string& cert = keys_["pkm-oebobo"].cert_pem;
  // Volumes of one batch each (a budget of one byte): each starts where the
  // one before ended, and the last says nothing more follows.
  std::vector<BundleDesk::Exported> vols;
  uint64_t after = 0;
  for (bool more = true; more;) {
    absl::StatusOr<BundleDesk::Exported> e = desks_["pos-mawar"]->Export("pkm-oebobo", cert, after, 1);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->batches, 1u);
    if (!vols.empty()) {
      EXPECT_EQ(e->header.from_cursor(), vols.back().header.to_cursor());
    }
    after = e->header.to_cursor();
    more = e->header.more();
    vols.push_back(*std::move(e));
    ASSERT_LT(vols.size(), 200u);
  }
  ASSERT_GE(vols.size(), 3u);
  ASSERT_GT(vols[0].header.from_cursor(), 0u) << "the online session acknowledged the first day";
  absl::StatusOr<BundleDesk::Exported> past = desks_["pos-mawar"]->Export("pkm-oebobo", cert, after, 1);
  ASSERT_TRUE(past.ok()) << past.status();
  EXPECT_EQ(past->batches, 0u) << "the volumes reached the end of the log";
  EXPECT_FALSE(past->header.more());
  EXPECT_TRUE(absl::IsInvalidArgument(
      desks_["pos-mawar"]->Export("pkm-oebobo", cert, Head("pos-mawar") + 1, 1).status()));

  // Imported last volume first: everything arrives, each change logged once.
  const uint64_t pkm_before = Head("pkm-oebobo");
  std::vector<std::string> receipts(vols.size());
  uint64_t changes = 0;
  for (size_t i = vols.size(); i-- > 0;) {
    absl::StatusOr<BundleDesk::Imported> in = desks_["pkm-oebobo"]->Import(vols[i].file);
    ASSERT_TRUE(in.ok()) << i << ": " << in.status();
    EXPECT_TRUE(in->complete);
    EXPECT_EQ(in->receipt_info.batches_applied(), 1u) << i;
    changes += in->receipt_info.changes();
    receipts[i] = in->receipt;
  }
  for (const auto& id : ids) EXPECT_TRUE(Has("pkm-oebobo", id));
  EXPECT_EQ(Head("pkm-oebobo") - pkm_before, changes);
  for (const auto& v : vols) {
    absl::StatusOr<BundleDesk::Imported> again = desks_["pkm-oebobo"]->Import(v.file);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->receipt_info.batches_applied(), 0u);
  }
  EXPECT_EQ(Head("pkm-oebobo") - pkm_before, changes);

  // Receipts home out of order: the posyandu's acknowledged range grows only
  // from its start, so a lost first receipt does not skip the first volume.
  auto next_from = [&] {
    absl::StatusOr<BundleDesk::Exported> e = desks_["pos-mawar"]->Export("pkm-oebobo", cert);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? e->header.from_cursor() : 0;
  };
  for (size_t i = vols.size(); i-- > 1;) {
    ASSERT_TRUE(desks_["pos-mawar"]->TakeReceipt(receipts[i]).ok()) << i;
    EXPECT_EQ(next_from(), vols[0].header.from_cursor()) << "after receipt " << i;
  }
  ASSERT_TRUE(desks_["pos-mawar"]->TakeReceipt(receipts[0]).ok());
  EXPECT_EQ(next_from(), vols.back().header.to_cursor());
}

TEST_F(BundleImportTest, ImportTwiceOrAtTwoTiersChangesNothingTheSecondTime) {
  std::vector<std::string> ids = PosyanduDay(3);
  const std::string to_pkm = Export("pos-mawar", "pkm-oebobo");
  const std::string to_pustu = Export("pos-mawar", "pustu-oetete");
  absl::StatusOr<BundleDesk::Imported> first = desks_["pkm-oebobo"]->Import(to_pkm);
  ASSERT_TRUE(first.ok()) << first.status();
  const uint64_t head = Head("pkm-oebobo");
  absl::StatusOr<BundleDesk::Imported> second = desks_["pkm-oebobo"]->Import(to_pkm);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->receipt_info.batches_applied(), 0u);
  EXPECT_EQ(second->receipt_info.batches_already_had(), first->receipt_info.batches_applied());
  EXPECT_EQ(Head("pkm-oebobo"), head);

  // The same changes at the Pustu, then relayed up: the Puskesmas logs nothing new.
  ASSERT_TRUE(desks_["pustu-oetete"]->Import(to_pustu).ok());
  ASSERT_TRUE(h_->Sync("pustu-oetete").ok());
  EXPECT_EQ(Head("pkm-oebobo"), head);
  for (const auto& id : ids) EXPECT_TRUE(Has("pustu-oetete", id));
}

TEST_F(BundleImportTest, ACutCopyAppliesWholeBatchesAndSaysHowFarTheFullCopyCompletes) {
  PosyanduDay(24);  // several 4 KiB batches
  const std::string file = Export("pos-mawar", "pkm-oebobo");
  uint64_t last_applied = 0;
  for (double frac : {0.35, 0.6, 0.9}) {
    const std::string cut = file.substr(0, static_cast<size_t>(file.size() * frac));
    absl::StatusOr<BundleDesk::Imported> in = desks_["pkm-oebobo"]->Import(cut);
    ASSERT_TRUE(in.ok()) << in.status();
    EXPECT_FALSE(in->complete);
    EXPECT_TRUE(absl::StrContains(in->cut, "cut short after batch")) << in->cut;
    EXPECT_FALSE(in->receipt_info.complete());
    EXPECT_GE(in->receipt_info.applied_to(), last_applied);
    EXPECT_LT(in->receipt_info.applied_to(), in->header.to_cursor());
    last_applied = in->receipt_info.applied_to();
  }
  EXPECT_GT(last_applied, 0u);
  absl::StatusOr<BundleDesk::Imported> full = desks_["pkm-oebobo"]->Import(file);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_TRUE(full->complete);
  EXPECT_GT(full->receipt_info.batches_already_had(), 0u);
  EXPECT_GT(full->receipt_info.batches_applied(), 0u);
  EXPECT_EQ(full->receipt_info.applied_to(), full->header.to_cursor());
  // Everything the posyandu wrote is there.
  EXPECT_EQ(h_->Contents("pkm-oebobo").size(), h_->Contents("pos-mawar").size());
}

TEST_F(BundleImportTest, AnAlteredByteIsRefusedWithNothingApplied) {
  PosyanduDay(6);
  const std::string file = Export("pos-mawar", "pkm-oebobo");
  const uint64_t head = Head("pkm-oebobo");
  for (size_t at : {file.size() / 3, file.size() / 2, file.size() - 5}) {
    std::string bad = file;
    bad[at] ^= 0x20;
    absl::StatusOr<BundleDesk::Imported> in = desks_["pkm-oebobo"]->Import(bad);
    EXPECT_FALSE(in.ok()) << "byte " << at;
    EXPECT_EQ(Head("pkm-oebobo"), head);
  }
}

TEST_F(BundleImportTest, UnknownRevokedOrMisplacedSendersAndOtherRecipientsAreRefused) {
  PosyanduDay(2);
  const uint64_t head = Head("pkm-oebobo");
  // For the Pustu: the Puskesmas has not its key.
  absl::StatusOr<BundleDesk::Imported> other = desks_["pkm-oebobo"]->Import(Export("pos-mawar", "pustu-oetete"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition) << other.status();
  // A sibling is not above the sender.
  absl::StatusOr<BundleDesk::Imported> sib = desks_["pos-melati"]->Import(Export("pos-mawar", "pos-melati"));
  EXPECT_EQ(sib.status().code(), absl::StatusCode::kPermissionDenied) << sib.status();
  // Another district's CA.
  TempDir far;
  ASSERT_TRUE(pki::InitCa(far.Sub("ca"), "belu", 30).ok());
  absl::StatusOr<pki::IssuedCert> c = pki::IssueNode(far.Sub("ca"), "pos-mawar", {"localhost"}, 30);
  ASSERT_TRUE(c.ok()) << c.status();
  Node* pos = h_->node("pos-mawar");
  BundleDesk impostor({"pos-mawar", ReadFile(c->cert_path), ReadFile(c->key_path)}, verifier_.get(),
                      pos->sync(), pos->hlc(), {kMawar});
  absl::StatusOr<BundleDesk::Exported> e = impostor.Export("pkm-oebobo", keys_["pkm-oebobo"].cert_pem);
  ASSERT_TRUE(e.ok()) << e.status();
  absl::StatusOr<BundleDesk::Imported> far_in = desks_["pkm-oebobo"]->Import(e->file);
  EXPECT_EQ(far_in.status().code(), absl::StatusCode::kUnauthenticated) << far_in.status();
  // Revoked.
  const std::string file = Export("pos-mawar", "pkm-oebobo");
  ASSERT_TRUE(pki::Revoke(ca_.Sub("ca"), serials_["pos-mawar"]).ok());
  ASSERT_TRUE(verifier_->TEST_ReloadIfChanged().ok());
  absl::StatusOr<BundleDesk::Imported> revoked = desks_["pkm-oebobo"]->Import(file);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kUnauthenticated) << revoked.status();
  EXPECT_EQ(Head("pkm-oebobo"), head);
}

TEST_F(BundleImportTest, ReceiptsMoveOnlyTheCursorOfTheirOwnBundle) {
  PosyanduDay(2);
  const std::string file = Export("pos-mawar", "pkm-oebobo");
  absl::StatusOr<BundleDesk::Imported> in = desks_["pkm-oebobo"]->Import(file);
  ASSERT_TRUE(in.ok()) << in.status();
  // Another node's receipt, an altered one, or one for another sender is refused.
  EXPECT_FALSE(desks_["pos-melati"]->TakeReceipt(in->receipt).ok());
  std::string bad = in->receipt;
  bad[bad.size() / 2] ^= 1;
  EXPECT_FALSE(desks_["pos-mawar"]->TakeReceipt(bad).ok());
  // Before the receipt, the next bundle starts where the last one did.
  absl::StatusOr<BundleDesk::Exported> before = desks_["pos-mawar"]->Export("pkm-oebobo", keys_["pkm-oebobo"].cert_pem);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->header.from_cursor(), in->header.from_cursor());
  ASSERT_TRUE(desks_["pos-mawar"]->TakeReceipt(in->receipt).ok());
  ASSERT_TRUE(desks_["pos-mawar"]->TakeReceipt(in->receipt).ok());  // twice is harmless
  absl::StatusOr<BundleDesk::Exported> after = desks_["pos-mawar"]->Export("pkm-oebobo", keys_["pkm-oebobo"].cert_pem);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->header.from_cursor(), in->header.to_cursor());
  EXPECT_EQ(after->batches, 0u);
}

// Scenario 3 across a stick: the kader fixes the RT offline (carried by
// bundle) while the Puskesmas adds the NIK online; both edits survive at
// every tier, whichever way each travelled.
TEST_F(BundleImportTest, ConcurrentEditsCarriedByBundleAndBySyncBothSurvive) {
  const std::vector<std::string> ids = PosyanduDay(1);
  h_->SyncAll(1);
  ASSERT_TRUE(Has("pkm-oebobo", ids[0]));
  v1::UpdatePatientRequest rt;
  rt.mutable_patient()->set_id(ids[0]);
  rt.mutable_patient()->mutable_address()->set_village_code(kMawar);
  rt.mutable_patient()->mutable_address()->set_rt("7");
  rt.mutable_update_mask()->add_paths("address.rt");
  ASSERT_TRUE(h_->api("pos-mawar")->UpdatePatient(rt).ok());
  h_->Advance(1000);
  v1::UpdatePatientRequest nik;
  nik.mutable_patient()->set_id(ids[0]);
  auto* id = nik.mutable_patient()->add_identifiers();
  id->set_system(v1::NIK);
  id->set_value("5371030101260001");
  nik.mutable_update_mask()->add_paths("identifiers");
  absl::StatusOr<v1::Patient> online = h_->api("pkm-oebobo")->UpdatePatient(nik);
  ASSERT_TRUE(online.ok()) << online.status();

  absl::StatusOr<BundleDesk::Imported> in = desks_["pkm-oebobo"]->Import(Export("pos-mawar", "pkm-oebobo"));
  ASSERT_TRUE(in.ok()) << in.status();
  ASSERT_TRUE(desks_["pos-mawar"]->TakeReceipt(in->receipt).ok());
  {  // the stick brought the RT to the Puskesmas, beside its own NIK
    v1::GetPatientRequest get;
    get.set_id(ids[0]);
    absl::StatusOr<v1::Patient> p = h_->api("pkm-oebobo")->GetPatient(get);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->address().rt(), "7");
    EXPECT_EQ(p->identifiers_size(), 1);
  }
  h_->SyncAll(2);
  for (const char* node : {"dinkes-kupang", "pkm-oebobo", "pustu-oetete", "pos-mawar"}) {
    v1::GetPatientRequest get;
    get.set_id(ids[0]);
    absl::StatusOr<v1::Patient> p = h_->api(node)->GetPatient(get);
    ASSERT_TRUE(p.ok()) << node << ": " << p.status();
    EXPECT_EQ(p->address().rt(), "7") << node;
    ASSERT_EQ(p->identifiers_size(), 1) << node;
    EXPECT_EQ(p->identifiers(0).value(), "5371030101260001") << node;
  }
}

// `ilpctl status` lists what is on the road: a bundle stays listed until its
// receipt, or a session, acknowledges its whole range.
TEST_F(BundleImportTest, ABundleAwaitsItsReceiptUntilItsRangeIsAcknowledged) {
  PosyanduDay(2);
  SyncEngine* pos = h_->node("pos-mawar")->sync();
  absl::StatusOr<BundleDesk::Exported> e = desks_["pos-mawar"]->Export("pkm-oebobo", keys_["pkm-oebobo"].cert_pem);
  ASSERT_TRUE(e.ok()) << e.status();
  absl::StatusOr<std::vector<v1::BundleAwaitingReceipt>> awaiting = pos->BundlesAwaitingReceipt();
  ASSERT_TRUE(awaiting.ok()) << awaiting.status();
  ASSERT_EQ(awaiting->size(), 1u);
  EXPECT_EQ((*awaiting)[0].bundle_id(), e->header.bundle_id());
  EXPECT_EQ((*awaiting)[0].recipient(), "pkm-oebobo");
  EXPECT_EQ((*awaiting)[0].to_cursor(), e->header.to_cursor());
  EXPECT_EQ((*awaiting)[0].batches(), e->batches);
  EXPECT_GT((*awaiting)[0].changes(), 0u);

  // A copy cut short: the receipt holds part of the range; still awaited.
  const std::string cut = e->file.substr(0, e->file.size() - 30);
  absl::StatusOr<BundleDesk::Imported> part = desks_["pkm-oebobo"]->Import(cut);
  ASSERT_TRUE(part.ok()) << part.status();
  ASSERT_FALSE(part->complete);
  ASSERT_TRUE(desks_["pos-mawar"]->TakeReceipt(part->receipt).ok());
  awaiting = pos->BundlesAwaitingReceipt();
  ASSERT_TRUE(awaiting.ok());
  ASSERT_EQ(awaiting->size(), 1u);
  EXPECT_EQ((*awaiting)[0].acknowledged_to(), part->receipt_info.applied_to());

  absl::StatusOr<BundleDesk::Imported> whole = desks_["pkm-oebobo"]->Import(e->file);
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_TRUE(desks_["pos-mawar"]->TakeReceipt(whole->receipt).ok());
  awaiting = pos->BundlesAwaitingReceipt();
  ASSERT_TRUE(awaiting.ok());
  EXPECT_TRUE(awaiting->empty());

  // A bundle whose receipt never comes back is settled by an online session.
  PosyanduDay(1);
  ASSERT_TRUE(desks_["pos-mawar"]->Export("pkm-oebobo", keys_["pkm-oebobo"].cert_pem).ok());
  awaiting = pos->BundlesAwaitingReceipt();
  ASSERT_TRUE(awaiting.ok());
  EXPECT_EQ(awaiting->size(), 1u);
  h_->SyncAll(1);
  awaiting = pos->BundlesAwaitingReceipt();
  ASSERT_TRUE(awaiting.ok());
  EXPECT_TRUE(awaiting->empty());
}

}  // namespace
}  // namespace ilp
