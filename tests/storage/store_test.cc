#include "storage/store/store.h"

#include <gtest/gtest.h>

#include "storage/clock/clock.h"
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
  EXPECT_TRUE(store_->ScanIndex(IndexKey('v', {"5371031001", ""}), 10).empty());
  EXPECT_EQ(store_->ScanIndex(IndexKey('v', {"5371031002", ""}), 10),
            std::vector<std::string>{kId});
  EXPECT_TRUE(store_->Verify().ok());
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
  EXPECT_EQ(store_->LostWrites(0).size(), 1u);
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

TEST_F(StoreTest, ASecondOpenOfTheSameDirectoryFailsClearly) {
  auto second = Store::Open(dir_.path(), &clock_);
  EXPECT_FALSE(second.ok());
}

}  // namespace
}  // namespace ilp
