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

TEST_F(StoreTest, ASecondOpenOfTheSameDirectoryFailsClearly) {
  auto second = Store::Open(dir_.path(), &clock_);
  EXPECT_FALSE(second.ok());
}

}  // namespace
}  // namespace ilp
