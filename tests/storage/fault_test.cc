// What the store does with a full disk and with damaged files: it refuses,
// names the cause, and never answers as if nothing happened.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "storage/clock/clock.h"
#include "storage/store/store.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kT0 = 1'795'392'000'000;

v1::Record Patient(int i) {
  v1::Record r;
  r.set_id(absl::StrCat("0190a0b1-0000-7000-8000-", absl::Dec(i, absl::kZeroPad12)));
  r.mutable_created()->set_wall_ms(kT0 + i);
  r.mutable_created()->set_node("pos-a");
  auto* v = r.mutable_patient()->add_versions();
  v->set_field("address.village_code");
  v->mutable_stamp()->set_wall_ms(kT0 + i);
  v->mutable_stamp()->set_node("pos-a");
  r.mutable_patient()->mutable_value()->mutable_address()->set_village_code("5371031001");
  return r;
}

absl::Status Write(Store* s, int i) {
  ApplyRequest req;
  req.deltas.push_back(Patient(i));
  return s->Apply(std::move(req)).status();
}

// The newest file in `dir` ending in `ext`.
std::string Newest(const std::string& dir, const std::string& ext) {
  std::string best;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ext && e.path().string() > best) best = e.path().string();
  }
  return best;
}

void Flip16(const std::string& path, uint64_t at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  char buf[16];
  f.seekg(static_cast<std::streamoff>(at));
  f.read(buf, sizeof buf);
  for (char& c : buf) c = static_cast<char>(~c);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(buf, sizeof buf);
}

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.min_free_bytes = 100 << 20;
    o.free_space_cache = absl::ZeroDuration();
    o.free_space = [this](const std::string& dir) -> absl::StatusOr<uint64_t> {
      EXPECT_EQ(dir, dir_.path());
      return free_.load();
    };
    auto s = Store::Open(dir_.path(), &clock_, o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  testing::TempDir dir_;
  FakeClock clock_{kT0};
  std::atomic<uint64_t> free_{1ull << 30};
  std::unique_ptr<Store> store_;
};

TEST_F(DiskFullTest, WritesAreRefusedBelowTheReserveNamingTheDirAndResumeWhenSpaceIsFreed) {
  ASSERT_TRUE(Write(store_.get(), 1).ok());
  free_ = 60 << 20;  // below the 100 MiB reserve, above half of it
  absl::Status refused = Write(store_.get(), 2);
  EXPECT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  EXPECT_NE(refused.message().find(dir_.path()), absl::string_view::npos) << refused;
  EXPECT_NE(refused.message().find("60.0 MiB free"), absl::string_view::npos) << refused;
  EXPECT_EQ(store_->LastSeq(), 1u);  // nothing of the refused write stored
  EXPECT_TRUE(absl::IsNotFound(store_->Get(Patient(2).id()).status()));
  EXPECT_TRUE(store_->Get(Patient(1).id()).ok());  // reads go on
  EXPECT_TRUE(store_->disk().refusing());
  EXPECT_EQ(store_->disk().refused(), 1u);
  // Cursors and peer state (meta only) may still use the upper half of the
  // reserve, so a full node can send what it has and record it.
  EXPECT_TRUE(store_->PutMeta("acked/down/x", "7").ok());
  free_ = 10 << 20;  // below half the reserve: nothing at all
  EXPECT_TRUE(absl::IsResourceExhausted(store_->PutMeta("acked/down/x", "8")));
  // Space freed: writes resume at once, with no restart.
  free_ = 200 << 20;
  EXPECT_TRUE(Write(store_.get(), 2).ok());
  EXPECT_FALSE(store_->disk().refusing());
  EXPECT_EQ(store_->LastSeq(), 2u);
}

// A crash (SIGKILL, power cut) during a write leaves the newest WAL ending
// inside the record being written. That write was not acknowledged (its fsync
// had not returned), so the store opens without it, says so, and is strict
// again on the next open.
TEST(DamagedWalTest, AWalEndingInsideItsLastRecordOpensWithEveryWholeRecordAndSaysSo) {
  testing::TempDir dir;
  FakeClock clock{kT0};
  {
    auto s = Store::Open(dir.path(), &clock);
    ASSERT_TRUE(s.ok()) << s.status();
    for (int i = 0; i < 600; ++i) ASSERT_TRUE(Write(s->get(), i).ok());
  }
  const std::string wal = Newest(dir.path(), ".log");
  ASSERT_FALSE(wal.empty());
  fs::resize_file(wal, fs::file_size(wal) - 20);  // a record is ~150 bytes
  {
    auto s = Store::Open(dir.path(), &clock);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ((*s)->LastSeq(), 599u);
    for (int i = 0; i < 599; ++i) EXPECT_TRUE((*s)->Get(Patient(i).id()).ok()) << i;
    EXPECT_TRUE(absl::IsNotFound((*s)->Get(Patient(599).id()).status()));
    const std::string& note = (*s)->recovery_note();
    EXPECT_NE(note.find(wal), std::string::npos) << note;
    EXPECT_NE(note.find("truncated record body"), std::string::npos) << note;
    EXPECT_TRUE((*s)->Verify().ok());
    ASSERT_TRUE(Write(s->get(), 599).ok());  // the dropped seq is given again
    EXPECT_EQ((*s)->LastSeq(), 600u);
  }
  auto s = Store::Open(dir.path(), &clock);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->recovery_note(), "");
  EXPECT_EQ((*s)->LastSeq(), 600u);
  EXPECT_TRUE((*s)->Get(Patient(599).id()).ok());
}

TEST(DamagedWalTest, SixteenFlippedBytesInTheWalRefuseToOpenNamingTheFile) {
  testing::TempDir dir;
  FakeClock clock{kT0};
  {
    auto s = Store::Open(dir.path(), &clock);
    ASSERT_TRUE(s.ok()) << s.status();
    for (int i = 0; i < 600; ++i) ASSERT_TRUE(Write(s->get(), i).ok());
  }
  const std::string wal = Newest(dir.path(), ".log");
  Flip16(wal, fs::file_size(wal) / 2);
  auto s = Store::Open(dir.path(), &clock);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsDataLoss(s.status())) << s.status();
  EXPECT_NE(s.status().message().find(wal), absl::string_view::npos) << s.status();
}

TEST(DamagedWalTest, AnUndamagedStoreReopensWithEveryAcknowledgedWrite) {
  testing::TempDir dir;
  FakeClock clock{kT0};
  {
    auto s = Store::Open(dir.path(), &clock);
    ASSERT_TRUE(s.ok()) << s.status();
    for (int i = 0; i < 600; ++i) ASSERT_TRUE(Write(s->get(), i).ok());
  }
  auto s = Store::Open(dir.path(), &clock);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->LastSeq(), 600u);
  for (int i = 0; i < 600; ++i) EXPECT_TRUE((*s)->Get(Patient(i).id()).ok()) << i;
  EXPECT_TRUE((*s)->VerifyChecksums().ok());
}

TEST(DamagedSstTest, DeepVerifyFindsAFlippedTableByteNamingTheFile) {
  testing::TempDir dir;
  FakeClock clock{kT0};
  {
    auto s = Store::Open(dir.path(), &clock);
    ASSERT_TRUE(s.ok()) << s.status();
    for (int i = 0; i < 600; ++i) ASSERT_TRUE(Write(s->get(), i).ok());
    ASSERT_TRUE((*s)->TEST_Flush().ok());
    ASSERT_TRUE((*s)->VerifyChecksums().ok());
  }
  // The largest table file holds the records; its first data block starts at 0.
  std::string sst;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    if (e.path().extension() == ".sst" && (sst.empty() || fs::file_size(e.path()) > fs::file_size(sst))) {
      sst = e.path().string();
    }
  }
  ASSERT_FALSE(sst.empty());
  Flip16(sst, 100);
  // Open reads only the footer, index and filter blocks of a table file: a
  // damaged data block is found by the deep check (or by a read of it).
  auto s = Store::Open(dir.path(), &clock);
  ASSERT_TRUE(s.ok()) << s.status();
  absl::Status deep = (*s)->VerifyChecksums();
  EXPECT_TRUE(absl::IsDataLoss(deep)) << deep;
  EXPECT_NE(deep.message().find(fs::path(sst).filename().string()), absl::string_view::npos) << deep;
}

}  // namespace
}  // namespace ilp
