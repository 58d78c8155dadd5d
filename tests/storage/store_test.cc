#include "storage/store/store.h"

#include "rocksdb/db.h"

#include <gtest/gtest.h>

#include "storage/clock/clock.h"
#include "storage/merge/merge.h"
#include "storage/merge/view.h"
#include "storage/store/keys.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

constexpr int64_t kT0 = 1'795'392'000'000;
const char kId[] = "0190a0b1-0000-7000-8000-000000000001";

v1::Record PatientIn(const char* village, int64_t wall) {
  v1::Record r;
  r.set_id(kId);
  *r.mutable_created() = v1::Stamp();
  r.mutable_created()->set_wall_ms(kT0);
  r.mutable_created()->set_node("pos-a");
  auto* v = r.mutable_patient()->add_versions();
  v->set_field("address.village_code");
  v->mutable_stamp()->set_wall_ms(wall);
  v->mutable_stamp()->set_node("pos-a");
  r.mutable_patient()->mutable_value()->mutable_address()->set_village_code(village);
  return r;
}

std::string VillageOf(const v1::Record& r) { return r.patient().value().address().village_code(); }

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::Open(dir_.path(), &clock_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  absl::StatusOr<ApplyResult> Apply(std::vector<v1::Record> deltas, const char* via = "") {
    ApplyRequest req;
    req.deltas = std::move(deltas);
    req.via = via;
    return store_->Apply(std::move(req));
  }
  testing::TempDir dir_;
  FakeClock clock_{kT0};
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, ApplyingTheSameBatchTwiceChangesNothing) {
  ASSERT_TRUE(Apply({PatientIn("5371031001", kT0)}, "pus-b").ok());
  const uint64_t head = store_->LastSeq();
  auto again = Apply({PatientIn("5371031001", kT0)}, "pus-b");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->changed, 0);
  EXPECT_EQ(store_->LastSeq(), head);
}

TEST_F(StoreTest, ChangeLogRecordsEveryChangeWithItsSourcePeer) {
  ASSERT_TRUE(Apply({PatientIn("5371031001", kT0)}, "pus-b").ok());
  ASSERT_TRUE(Apply({PatientIn("5371031002", kT0 + 1)}).ok());
  auto changes = store_->ReadChanges(0, 100, 1 << 20);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].seq(), 1u);
  EXPECT_EQ((*changes)[0].via(), "pus-b");
  EXPECT_EQ((*changes)[1].via(), "");
  EXPECT_EQ(store_->ReadChanges(1, 100, 1 << 20)->size(), 1u);
}

TEST_F(StoreTest, VillageIndexFollowsAMove) {
  ASSERT_TRUE(Apply({PatientIn("5371031001", kT0)}).ok());
  ASSERT_TRUE(Apply({PatientIn("5371031002", kT0 + 5)}).ok());
  EXPECT_TRUE(store_->ScanIndex(IndexKey('v', {"5371031001", ""}), 10)->empty());
  EXPECT_EQ(*store_->ScanIndex(IndexKey('v', {"5371031002", ""}), 10),
            std::vector<std::string>{kId});
  EXPECT_TRUE(store_->Verify().ok());
}

TEST_F(StoreTest, AScanOverARecordThatDoesNotParseIsDataLossNotAShortResult) {
  ASSERT_TRUE(Apply({PatientIn("5371031001", kT0)}).ok());
  // Sorts before kId, so a scan that skipped it would still see kId.
  const char kDamaged[] = "0190a0b1-0000-7000-8000-000000000000";
  // Field 1, length 5, then only 2 bytes: truncated, so it cannot parse.
  ASSERT_TRUE(store_->TEST_PutRawRecord(kDamaged, std::string("\x0a\x05" "ab", 4)).ok());
  int seen = 0;
  absl::Status st = store_->ForEachRecord([&](const v1::Record&) { ++seen; });
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(st.message().find(kDamaged), absl::string_view::npos) << st;
  EXPECT_EQ(seen, 0);
  EXPECT_EQ(store_->Get(kDamaged).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(store_->Get(kId).ok());
}

// GetMany answers as Get would for each id: the state, nothing for an id
// not stored, DATA_LOSS naming a damaged one.
TEST_F(StoreTest, GetManyAnswersEachIdAsGetWould) {
  ASSERT_TRUE(Apply({PatientIn("5371031001", kT0)}).ok());
  const char kMissing[] = "0190a0b1-0000-7000-8000-000000000009";
  auto many = store_->GetMany({kMissing, kId, kId});
  ASSERT_TRUE(many.ok()) << many.status();
  ASSERT_EQ(many->size(), 3u);
  EXPECT_FALSE((*many)[0].has_value());
  ASSERT_TRUE((*many)[1].has_value());
  EXPECT_EQ((*many)[1]->SerializeAsString(), store_->Get(kId)->SerializeAsString());
  ASSERT_TRUE((*many)[2].has_value());
  EXPECT_EQ(VillageOf(*(*many)[2]), "5371031001");
  EXPECT_TRUE(store_->GetMany({})->empty());

  const char kDamaged[] = "0190a0b1-0000-7000-8000-000000000000";
  ASSERT_TRUE(store_->TEST_PutRawRecord(kDamaged, std::string("\x0a\x05" "ab", 4)).ok());
  absl::Status st = store_->GetMany({kId, kDamaged}).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(st.message().find(kDamaged), absl::string_view::npos) << st;
}

TEST_F(StoreTest, ChangesSurviveReopen) {
  ASSERT_TRUE(Apply({PatientIn("5371031001", kT0)}).ok());
  store_.reset();
  auto s = Store::Open(dir_.path(), &clock_);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->LastSeq(), 1u);
  EXPECT_TRUE((*s)->Get(kId).ok());
}

TEST_F(StoreTest, VerifyReportsAMissingIndexEntry) {
  ASSERT_TRUE(Apply({PatientIn("5371031001", kT0)}).ok());
  ASSERT_TRUE(store_->Verify().ok());
  ASSERT_TRUE(store_->TEST_DeleteIndexEntry(IndexKey('v', {"5371031001", kId})).ok());
  absl::Status st = store_->Verify();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("missing index entry"), absl::string_view::npos) << st;
}

TEST_F(StoreTest, AWriteThatLosesOutrightIsRecordedOnceAndLoggedForTheNodesAbove) {
  v1::Record winner = PatientIn("5371031002", kT0 + 10);
  winner.mutable_patient()->mutable_versions(0)->mutable_stamp()->set_node("pkm-b");
  *winner.mutable_patient()->mutable_versions(0)->mutable_base() =
      PatientIn("5371031001", kT0).patient().versions(0).stamp();  // it saw the first value
  ASSERT_TRUE(Apply({PatientIn("5371031001", kT0)}).ok());
  ASSERT_TRUE(Apply({winner}, "pkm-b").ok());
  const std::string state = store_->Get(kId)->SerializeAsString();
  // The concurrent write (kT0 + 5, based on nothing newer) arrives second.
  v1::Record loser = PatientIn("5371031003", kT0 + 5);
  auto res = Apply({loser}, "pus-c");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->changed, 0);
  ASSERT_EQ(res->lost.size(), 1u);
  EXPECT_EQ(res->lost[0].field(), "address.village_code");
  EXPECT_EQ(store_->Get(kId)->SerializeAsString(), state);  // the record is unchanged
  EXPECT_EQ(store_->LastSeq(), 3u);                         // but the delta is logged
  EXPECT_EQ(store_->LostWriteCount(), 1u);
  // Arriving again, it is a plain duplicate.
  ASSERT_TRUE(Apply({loser}, "pus-c").ok());
  EXPECT_EQ(store_->LastSeq(), 3u);
  EXPECT_EQ(store_->LostWrites(0)->size(), 1u);
  EXPECT_TRUE(store_->Verify().ok()) << store_->Verify();
  store_.reset();
  auto reopened = Store::Open(dir_.path(), &clock_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->LostWriteCount(), 1u);
}

TEST_F(StoreTest, RecordCountsAreKeptAcrossReopenAndVerified) {
  ASSERT_TRUE(Apply({PatientIn("5371031001", kT0)}).ok());
  ASSERT_TRUE(Apply({PatientIn("5371031002", kT0 + 1)}).ok());  // same record: still one
  using Kinds = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(store_->Stats().records_by_kind, (Kinds{{"patient", 1}}));
  store_.reset();
  auto s = Store::Open(dir_.path(), &clock_);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->Stats().records_by_kind, (Kinds{{"patient", 1}}));
  EXPECT_TRUE((*s)->Verify().ok());
  v1::KindCounts wrong;
  (*wrong.mutable_counts())["patient"] = 2;
  ASSERT_TRUE((*s)->PutMeta("counts", wrong.SerializeAsString()).ok());
  absl::Status st = (*s)->Verify();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("kept record counts differ"), absl::string_view::npos) << st;
}

// Apply reads a batch's stored states in one pass before it merges; an id
// that comes again later in the batch is merged with what the batch made of
// it, whether the first delta changed it or was a duplicate.
TEST_F(StoreTest, ABatchThatNamesAnIdTwiceMergesTheSecondWithWhatTheFirstLeft) {
  ASSERT_TRUE(Apply({PatientIn("5371031001", kT0)}).ok());
  store_.reset();  // the stored record is read from a table file, not the memtable
  auto s = Store::Open(dir_.path(), &clock_);
  ASSERT_TRUE(s.ok()) << s.status();
  store_ = std::move(*s);
  const char kNew[] = "0190a0b1-0000-7000-8000-000000000002";
  v1::Record fresh = PatientIn("5371031009", kT0);
  fresh.set_id(kNew);
  v1::Record edit = PatientIn("5371031002", kT0 + 10);
  *edit.mutable_patient()->mutable_versions(0)->mutable_base() =
      PatientIn("5371031001", kT0).patient().versions(0).stamp();  // it saw the stored value
  auto res = Apply({PatientIn("5371031001", kT0),  // a duplicate of what is stored
                    edit,                          // then an edit of it
                    fresh, fresh});                // a new record, twice
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->changed, 2);
  ASSERT_EQ(res->states.size(), 4u);
  EXPECT_EQ(VillageOf(res->states[0]), "5371031001");
  EXPECT_EQ(VillageOf(res->states[1]), "5371031002");
  EXPECT_EQ(VillageOf(res->states[3]), "5371031009");
  EXPECT_TRUE(res->lost.empty());
  EXPECT_EQ(VillageOf(*store_->Get(kId)), "5371031002");
  EXPECT_EQ(VillageOf(*store_->Get(kNew)), "5371031009");
  EXPECT_EQ(store_->LastSeq(), 3u);  // the first write, the edit, the new record
  using Kinds = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(store_->Stats().records_by_kind, (Kinds{{"patient", 2}}));
  EXPECT_TRUE(store_->Verify().ok()) << store_->Verify();
}

v1::QuarantinedDelta Refused(const char* from, const v1::Record& delta, const char* reason) {
  v1::QuarantinedDelta q;
  q.set_from_node(from);
  q.set_record_id(delta.id());
  q.set_kind(KindName(delta));
  q.set_reason(reason);
  q.set_delta(delta.SerializeAsString());
  return q;
}

TEST_F(StoreTest, QuarantineLandsInTheSameBatchAsTheDeltasAndTheCursor) {
  v1::Record forged = PatientIn("5371031002", kT0);
  forged.mutable_created()->set_node("dinkes-x");
  ApplyRequest req;
  req.deltas = {PatientIn("5371031001", kT0)};
  req.via = "pus-b";
  req.meta = {{"cursor/up/pus-b", "7"}};
  req.quarantine = {Refused("pus-b", forged, "authorship: record.created.node")};
  auto res = store_->Apply(req);
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->quarantined, 1);
  EXPECT_EQ(store_->LastSeq(), 1u);
  EXPECT_EQ(*store_->GetMeta("cursor/up/pus-b"), "7");
  auto listed = store_->ListQuarantine(10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].from_node(), "pus-b");
  EXPECT_EQ((*listed)[0].record_id(), kId);
  EXPECT_EQ((*listed)[0].kind(), "patient");
  EXPECT_EQ((*listed)[0].seq(), 1u);
  EXPECT_EQ((*listed)[0].detected_ms(), kT0);
  EXPECT_EQ((*listed)[0].delta(), forged.SerializeAsString());
  EXPECT_EQ(store_->QuarantineCount(), 1u);

  // A batch that fails writes neither its deltas, its cursor nor its quarantine.
  ApplyRequest bad = req;
  bad.deltas.push_back(v1::Record());  // no id: Apply refuses the whole batch
  bad.meta = {{"cursor/up/pus-b", "8"}};
  bad.quarantine = {Refused("pus-b", PatientIn("5371031003", kT0), "scope: ...")};
  EXPECT_FALSE(store_->Apply(bad).ok());
  EXPECT_EQ(*store_->GetMeta("cursor/up/pus-b"), "7");
  EXPECT_EQ(store_->QuarantineCount(), 1u);
  EXPECT_EQ(store_->ListQuarantine(10)->size(), 1u);
  EXPECT_TRUE(store_->Verify().ok());
}

TEST_F(StoreTest, AQuarantineOnlyBatchIsWritten) {
  ApplyRequest req;
  req.meta = {{"cursor/up/pus-b", "3"}};
  req.quarantine = {Refused("pus-b", PatientIn("5371031001", kT0), "time: anchor")};
  auto res = store_->Apply(req);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->changed, 0);
  EXPECT_EQ(store_->LastSeq(), 0u);
  EXPECT_EQ(store_->QuarantineCount(), 1u);
  EXPECT_EQ(*store_->GetMeta("cursor/up/pus-b"), "3");
}

TEST_F(StoreTest, AResentBadDeltaIsQuarantinedOnce) {
  const v1::QuarantinedDelta q = Refused("pus-b", PatientIn("5371031001", kT0), "scope: x");
  ApplyRequest req;
  req.quarantine = {q, q};  // twice in one batch
  ASSERT_EQ(store_->Apply(req)->quarantined, 1);
  clock_.Advance(1000);
  req.quarantine = {q};  // the batch resent after a cut
  ASSERT_EQ(store_->Apply(req)->quarantined, 0);
  EXPECT_EQ(store_->QuarantineCount(), 1u);
  ASSERT_EQ(store_->ListQuarantine(10)->size(), 1u);
  EXPECT_EQ((*store_->ListQuarantine(10))[0].detected_ms(), kT0);  // the first arrival
  // The same bytes from another child are another entry.
  req.quarantine = {Refused("pus-c", PatientIn("5371031001", kT0), "scope: x")};
  EXPECT_EQ(store_->Apply(req)->quarantined, 1);
  EXPECT_EQ(store_->QuarantineCount(), 2u);
}

TEST_F(StoreTest, QuarantineSurvivesReopenAndKeepsItsCountAndSeq) {
  ApplyRequest req;
  req.quarantine = {Refused("pus-b", PatientIn("5371031001", kT0), "a"),
                    Refused("pus-b", PatientIn("5371031002", kT0), "b")};
  ASSERT_TRUE(store_->Apply(req).ok());
  store_.reset();
  auto s = Store::Open(dir_.path(), &clock_);
  ASSERT_TRUE(s.ok()) << s.status();
  store_ = std::move(*s);
  EXPECT_EQ(store_->QuarantineCount(), 2u);
  req.quarantine = {Refused("pus-b", PatientIn("5371031003", kT0), "c")};
  ASSERT_TRUE(store_->Apply(req).ok());
  EXPECT_EQ(store_->QuarantineCount(), 3u);
  auto newest = store_->ListQuarantine(2);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 2u);  // newest first, at most the limit
  EXPECT_EQ((*newest)[0].seq(), 3u);
  EXPECT_EQ((*newest)[0].reason(), "c");
  EXPECT_EQ((*newest)[1].seq(), 2u);
  EXPECT_TRUE(store_->Verify().ok());
}

// Upgrades: a store records its format, and a store written by a newer
// ilp-node (a higher format, or a column family this one does not know) is
// refused by name instead of being opened half-understood.
TEST_F(StoreTest, AStoreOfANewerFormatIsRefusedWithAClearError) {
  EXPECT_EQ(*store_->GetMeta("format"), "2");
  ASSERT_TRUE(store_->PutMeta("format", "3").ok());
  store_.reset();
  auto newer = Store::Open(dir_.path(), &clock_);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(newer.status().message(),
            absl::StrCat("store ", dir_.path(), " has format 3; this ilp-node reads formats up to 2: it was "
                         "written by a newer ilp-node; upgrade this one (docs/operations.md, Upgrades)"));
}

v1::Record AuditEventOf(const std::string& id, int64_t wall, std::vector<std::string> patients) {
  v1::Record r;
  r.set_id(id);
  r.mutable_created()->set_wall_ms(wall);
  r.mutable_created()->set_node("pos-a");
  r.mutable_audit()->set_sub("kader-1");
  r.mutable_audit()->set_rpc("GetPatient");
  for (auto& p : patients) r.mutable_audit()->add_patient_ids(std::move(p));
  return r;
}

// The events naming `patient` from `since`, as ForEachAuditOf yields them.
std::vector<std::string> AuditOf(const Store& store, const std::string& patient, int64_t since) {
  std::vector<std::string> ids;
  const absl::Status st = store.ForEachAuditOf(patient, since, [&](const v1::Record& r) {
    ids.push_back(r.id());
    return true;
  });
  EXPECT_TRUE(st.ok()) << st;
  return ids;
}

// `ilpctl audit --patient` reads the audit index: a patient's events in the
// order of their stamps' wall time (not of their ids, which carry each
// device's own clock), from `since` on, and no one else's.
TEST_F(StoreTest, AuditEventsAreFoundByPatientInWallTimeOrder) {
  const std::string a = "0190a0b1-0000-7000-8000-00000000000a", b = "0190a0b1-0000-7000-8000-00000000000b",
                    c = "0190a0b1-0000-7000-8000-00000000000c";
  ASSERT_TRUE(Apply({AuditEventOf(a, kT0 + 300, {"budi"}), AuditEventOf(b, kT0 + 100, {"budi", "siti"}),
                     AuditEventOf(c, kT0 + 200, {"siti"})})
                  .ok());
  EXPECT_EQ(AuditOf(*store_, "budi", 0), (std::vector<std::string>{b, a}));
  EXPECT_EQ(AuditOf(*store_, "budi", kT0 + 101), (std::vector<std::string>{a}));
  EXPECT_EQ(AuditOf(*store_, "siti", 0), (std::vector<std::string>{b, c}));
  EXPECT_TRUE(AuditOf(*store_, "bud", 0).empty()) << "a prefix of an id is another patient";
  EXPECT_TRUE(store_->Verify().ok());
  // Verify checks the index against the trail.
  ASSERT_TRUE(store_->TEST_DeleteIndexEntry(AuditPatientKey("siti", kT0 + 200, c)).ok());
  EXPECT_EQ(store_->Verify().code(), absl::StatusCode::kDataLoss);
}

// Upgrades: a format-1 store (no audit index) is indexed once on open and
// recorded as format 2.
TEST_F(StoreTest, AFormatOneStoreGainsTheAuditIndexOnOpen) {
  const std::string a = "0190a0b1-0000-7000-8000-00000000000a", b = "0190a0b1-0000-7000-8000-00000000000b";
  ASSERT_TRUE(Apply({AuditEventOf(a, kT0 + 1, {"budi"}), AuditEventOf(b, kT0 + 2, {"budi", "siti"})}).ok());
  for (const auto& k : {AuditPatientKey("budi", kT0 + 1, a), AuditPatientKey("budi", kT0 + 2, b),
                        AuditPatientKey("siti", kT0 + 2, b)}) {
    ASSERT_TRUE(store_->TEST_DeleteIndexEntry(k).ok());
  }
  ASSERT_TRUE(store_->PutMeta("format", "1").ok());
  ASSERT_TRUE(AuditOf(*store_, "budi", 0).empty());
  store_.reset();
  auto s = Store::Open(dir_.path(), &clock_);
  ASSERT_TRUE(s.ok()) << s.status();
  store_ = std::move(*s);
  EXPECT_EQ(*store_->GetMeta("format"), "2");
  EXPECT_EQ(AuditOf(*store_, "budi", 0), (std::vector<std::string>{a, b}));
  EXPECT_EQ(AuditOf(*store_, "siti", 0), (std::vector<std::string>{b}));
  EXPECT_TRUE(store_->Verify().ok());
}

TEST_F(StoreTest, AStoreWithAnUnknownColumnFamilyIsRefusedByName) {
  store_.reset();
  {
    rocksdb::Options opts;
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(opts, dir_.path(), &names).ok());
    for (const std::string& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(rocksdb::DB::Open(opts, dir_.path(), cfs, &handles, &raw).ok());
    rocksdb::ColumnFamilyHandle* audit = nullptr;
    ASSERT_TRUE(raw->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "future", &audit).ok());
    handles.push_back(audit);
    for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
    delete raw;
  }
  auto newer = Store::Open(dir_.path(), &clock_);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("has column family \"future\", unknown to this ilp-node"),
            std::string::npos) << newer.status();
}

TEST_F(StoreTest, ASecondOpenOfTheSameDirectoryFailsClearly) {
  auto second = Store::Open(dir_.path(), &clock_);
  EXPECT_FALSE(second.ok());
}

}  // namespace
}  // namespace ilp
