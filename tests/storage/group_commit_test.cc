// Group commit (storage/store/commit_queue.h): concurrent Applies share one
// WAL fsync, each returns only once its own write is durable, and readers of
// the change log never see a seq that is not durable yet. The sync step is
// held by a test hook, so the assertions about "before the fsync" are
// deterministic (no sleeps).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/clock/clock.h"
#include "storage/store/commit_queue.h"
#include "storage/store/store.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

constexpr int64_t kT0 = 1'795'392'000'000;

v1::Record Patient(int n) {
  v1::Record r;
  r.set_id(absl::StrFormat("0190a0b1-0000-7000-8000-%012d", n));
  r.mutable_created()->set_wall_ms(kT0);
  r.mutable_created()->set_node("pos-a");
  auto* v = r.mutable_patient()->add_versions();
  v->set_field("address.village_code");
  v->mutable_stamp()->set_wall_ms(kT0 + n);
  v->mutable_stamp()->set_node("pos-a");
  r.mutable_patient()->mutable_value()->mutable_address()->set_village_code(absl::StrCat("53710310", n % 10));
  return r;
}

ApplyRequest Req(int n, bool sync = true) {
  ApplyRequest req;
  req.deltas.push_back(Patient(n));
  req.sync = sync;
  return req;
}

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    store_.reset();
    auto s = Store::Open(dir_.path(), &clock_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  CommitQueue& commits() { return store_->TEST_commits(); }
  testing::TempDir dir_;
  FakeClock clock_{kT0};
  std::unique_ptr<Store> store_;
};

TEST_F(GroupCommitTest, ConcurrentWritersEachAcknowledgedDurableWithDenseUniqueSeqs) {
  constexpr int kThreads = 8, kEach = 150;
  std::vector<std::vector<uint64_t>> seqs(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int n = t * kEach + i + 1;
        absl::StatusOr<ApplyResult> res = store_->Apply(Req(n));
        if (!res.ok() || res->changed != 1) {
          ++failures;
          continue;
        }
        // Acknowledged: readable, and its seq is published to readers.
        if (!store_->Get(Patient(n).id()).ok() || store_->LastSeq() < res->last_seq) ++failures;
        seqs[t].push_back(res->last_seq);
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  std::vector<uint64_t> all;
  for (const auto& s : seqs) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i + 1) << "seqs not dense and unique";
  EXPECT_EQ(store_->LastSeq(), all.size());
  absl::StatusOr<std::vector<v1::Change>> log = store_->ReadChanges(0, SIZE_MAX, SIZE_MAX);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), all.size());
  for (size_t i = 0; i < log->size(); ++i) EXPECT_EQ((*log)[i].seq(), i + 1);
  EXPECT_LE(commits().syncs(), all.size());
  std::printf("%zu acknowledged Applies, %llu WAL syncs\n", all.size(),
              static_cast<unsigned long long>(commits().syncs()));
  EXPECT_TRUE(store_->Verify().ok());
  Open();  // everything acknowledged is there after a reopen
  for (int n = 1; n <= kThreads * kEach; ++n) ASSERT_TRUE(store_->Get(Patient(n).id()).ok()) << n;
  EXPECT_EQ(store_->LastSeq(), all.size());
}

TEST_F(GroupCommitTest, ReadersNeverSeeASeqBeforeItIsDurableAndWritersShareOneSync) {
  commits().TEST_HoldSync(true);
  std::atomic<bool> a_done{false}, b_done{false};
  std::thread a([&] {
    EXPECT_TRUE(store_->Apply(Req(1)).ok());
    a_done = true;
  });
  commits().TEST_AwaitHeldLeader();  // A is written, its leader stopped before the fsync
  std::thread b([&] {
    EXPECT_TRUE(store_->Apply(Req(2)).ok());
    b_done = true;
  });
  commits().TEST_AwaitWaiters(2);  // B is written too and waits for the leader
  EXPECT_FALSE(a_done);
  EXPECT_FALSE(b_done);
  EXPECT_EQ(store_->LastSeq(), 0u);
  EXPECT_EQ(store_->Stats().last_seq, 0u);
  EXPECT_FALSE(store_->WaitForChange(0, absl::ZeroDuration()));
  absl::StatusOr<std::vector<v1::Change>> seen = store_->ReadChanges(0, 100, 1 << 20);
  ASSERT_TRUE(seen.ok());
  EXPECT_TRUE(seen->empty()) << "a change left the store before its fsync";
  const uint64_t syncs = commits().syncs();
  commits().TEST_HoldSync(false);
  a.join();
  b.join();
  EXPECT_EQ(commits().syncs(), syncs + 1) << "A's leader synced both writes at once";
  EXPECT_EQ(store_->LastSeq(), 2u);
  EXPECT_TRUE(store_->WaitForChange(0, absl::ZeroDuration()));
  EXPECT_EQ(store_->ReadChanges(0, 100, 1 << 20)->size(), 2u);
}

TEST_F(GroupCommitTest, ADuplicateIsAnsweredOnlyOnceTheOriginalIsDurable) {
  commits().TEST_HoldSync(true);
  std::thread a([&] { EXPECT_TRUE(store_->Apply(Req(1)).ok()); });
  commits().TEST_AwaitHeldLeader();
  std::atomic<bool> dup_done{false};
  std::thread dup([&] {
    absl::StatusOr<ApplyResult> r = store_->Apply(Req(1));  // reads A's unsynced write
    EXPECT_TRUE(r.ok());
    if (r.ok()) {
      EXPECT_EQ(r->changed, 0);
    }
    dup_done = true;
  });
  commits().TEST_AwaitWaiters(2);
  EXPECT_FALSE(dup_done) << "a duplicate was acknowledged before the original's fsync";
  commits().TEST_HoldSync(false);
  a.join();
  dup.join();
  EXPECT_EQ(store_->LastSeq(), 1u);
}

TEST_F(GroupCommitTest, ADeferredApplyReturnsWrittenAndAwaitDurableWaitsForTheSync) {
  commits().TEST_HoldSync(true);
  ApplyRequest req = Req(1);
  req.defer_durable = true;
  absl::StatusOr<ApplyResult> res = store_->Apply(std::move(req));  // returns though syncs are held
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->last_seq, 1u);
  EXPECT_EQ(store_->LastSeq(), 0u);
  std::atomic<bool> durable{false};
  std::thread waiter([&] {
    EXPECT_TRUE(store_->AwaitDurable().ok());
    durable = true;
  });
  commits().TEST_AwaitHeldLeader();
  EXPECT_FALSE(durable);
  commits().TEST_HoldSync(false);
  waiter.join();
  EXPECT_TRUE(durable);
  EXPECT_EQ(store_->LastSeq(), 1u);
  EXPECT_TRUE(store_->AwaitDurable().ok());  // nothing pending: returns at once
}

TEST_F(GroupCommitTest, AnUnsyncedApplyIsVisibleAtOnceUnlessASyncedOneIsAheadOfIt) {
  ASSERT_TRUE(store_->Apply(Req(1, /*sync=*/false)).ok());
  EXPECT_EQ(store_->LastSeq(), 1u);  // as before group commit
  commits().TEST_HoldSync(true);
  std::thread a([&] { EXPECT_TRUE(store_->Apply(Req(2)).ok()); });
  commits().TEST_AwaitHeldLeader();
  ASSERT_TRUE(store_->Apply(Req(3, /*sync=*/false)).ok());  // does not wait
  EXPECT_EQ(store_->LastSeq(), 1u) << "publishing seq 3 would publish the unsynced seq 2";
  commits().TEST_HoldSync(false);
  a.join();
  EXPECT_EQ(store_->LastSeq(), 3u);
}

TEST(CommitQueueTest, AFailedSyncFailsItsWritersAndPublishesNothing) {
  int calls = 0;
  CommitQueue q([&calls]() { return ++calls == 1 ? absl::InternalError("disk gone") : absl::OkStatus(); },
                /*head=*/5);
  const uint64_t t1 = q.Written(6, true);
  absl::Status st = q.WaitDurable(t1);
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal) << st;
  EXPECT_EQ(q.PublishedSeq(), 5u);
  EXPECT_FALSE(q.WaitForSeq(5, absl::ZeroDuration()));
  const uint64_t t2 = q.Written(7, true);
  EXPECT_TRUE(q.WaitDurable(t2).ok());
  EXPECT_EQ(q.PublishedSeq(), 7u);
  EXPECT_TRUE(q.WaitDurable(t1).ok());  // covered by the sync that worked
  EXPECT_EQ(q.syncs(), 2u);
}

}  // namespace
}  // namespace ilp
