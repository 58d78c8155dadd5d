// The district simulation as a test: its power cut forgets exactly the
// unsynced bytes, a few small seeds pass every invariant, and a seed replays
// to the same digest of every store.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"

#include "rocksdb/env.h"
#include "storage/clock/clock.h"
#include "storage/store/store.h"
#include "spdlog/spdlog.h"
#include "tests/sim/sim_fs.h"
#include "tests/sim/simulation.h"

namespace ilp::sim {
namespace {

SimOptions Tiny(uint64_t seed) {
  SimOptions o;
  o.seed = seed;
  o.size_name = "tiny";
  o.size = *SizeByName("tiny");
  o.fault_days = 7;
  return o;
}

void ExpectPasses(const SimResult& r) {
  std::printf("%s\n", r.Summary().c_str());
  EXPECT_TRUE(r.failures.empty()) << "replay: " << r.Replay();
  for (const std::string& f : r.failures) ADD_FAILURE() << f;
  EXPECT_GT(r.sessions, 0);
  EXPECT_GT(r.acked_records, 0);
}

TEST(SimFileSystemTest, APowerCutKeepsWhatWasSyncedAndNothingAfter) {
  auto fs = std::make_shared<SimFileSystem>();
  rocksdb::FileOptions fo;
  rocksdb::IOOptions io;
  ASSERT_TRUE(fs->CreateDirIfMissing("/d", io, nullptr).ok());
  std::unique_ptr<rocksdb::FSWritableFile> f;
  ASSERT_TRUE(fs->NewWritableFile("/d/wal", fo, &f, nullptr).ok());
  ASSERT_TRUE(f->Append("synced|", io, nullptr).ok());
  ASSERT_TRUE(f->Sync(io, nullptr).ok());
  ASSERT_TRUE(f->Append("in the cache", io, nullptr).ok());
  fs->Cut("/d/");
  EXPECT_FALSE(f->Sync(io, nullptr).ok());  // too late: the power is off
  EXPECT_FALSE(fs->DeleteFile("/d/wal", io, nullptr).ok());
  f.reset();
  absl::StatusOr<uint64_t> dropped = fs->DropUnsynced("/d/");
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 12u);
  uint64_t size = 0;
  ASSERT_TRUE(fs->GetFileSize("/d/wal", io, &size, nullptr).ok());
  EXPECT_EQ(size, 7u);
  ASSERT_TRUE(fs->NewWritableFile("/d/after", fo, &f, nullptr).ok());  // power is back
}

StoreOptions InMemory(rocksdb::Env* env) {
  StoreOptions o;
  o.memory_mib = 8;
  o.env = env;
  return o;
}

TEST(SimFileSystemTest, AStoreLosesOnlyItsUnsyncedWritesInAPowerCut) {
  auto fs = std::make_shared<SimFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  FakeClock clock(1'795'392'000'000);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open("/n", &clock, InMemory(env.get()));
  ASSERT_TRUE(store.ok()) << store.status();
  auto patient = [](const char* id) {
    ApplyRequest req;
    req.deltas.emplace_back();
    req.deltas.back().set_id(id);
    req.deltas.back().mutable_patient()->mutable_value()->set_name("Budi");
    return req;
  };
  { auto r = (*store)->Apply(patient("acknowledged")); ASSERT_TRUE(r.ok()) << r.status(); }  // fsynced
  ApplyRequest unsynced = patient("unsynced");
  unsynced.sync = false;
  ASSERT_TRUE((*store)->Apply(std::move(unsynced)).ok());
  fs->Cut("/n/");
  store->reset();
  absl::StatusOr<uint64_t> dropped = fs->DropUnsynced("/n/");
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_GT(*dropped, 0u);
  store = Store::Open("/n", &clock, InMemory(env.get()));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->Get("acknowledged").ok());
  EXPECT_TRUE(absl::IsNotFound((*store)->Get("unsynced").status()));
  EXPECT_TRUE((*store)->Verify().ok());
}

// Group commit (docs/storage.md): four writers share WAL fsyncs; a power cut
// in the middle keeps every Apply that returned OK, and what the store
// published to readers before the cut.
TEST(SimFileSystemTest, APowerCutDuringConcurrentWritersKeepsEveryAcknowledgedApply) {
  auto fs = std::make_shared<SimFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  FakeClock clock(1'795'392'000'000);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open("/n", &clock, InMemory(env.get()));
  ASSERT_TRUE(store.ok()) << store.status();
  std::mutex mu;
  std::vector<std::string> acked;
  std::atomic<int> total{0}, running{4};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0;; ++i) {
        ApplyRequest req;
        req.deltas.emplace_back();
        req.deltas.back().set_id(absl::StrCat("w", w, "-", i));
        req.deltas.back().mutable_patient()->mutable_value()->set_name("Budi");
        if (!(*store)->Apply(std::move(req)).ok()) {  // the cut refuses writes and syncs
          --running;
          return;
        }
        std::lock_guard<std::mutex> l(mu);
        acked.push_back(absl::StrCat("w", w, "-", i));
        ++total;
      }
    });
  }
  while (total < 400 && running > 0) std::this_thread::yield();
  const bool none_failed = running == 4;
  const uint64_t published = (*store)->LastSeq();
  std::vector<std::string> before_cut;  // Applies that returned before the cut
  {
    // The model marks a sync done after its IsCut check, so one straddling
    // the cut may still return OK: count only those that returned before.
    std::lock_guard<std::mutex> l(mu);
    fs->Cut("/n/");
    before_cut = acked;
  }
  for (auto& t : writers) t.join();
  ASSERT_TRUE(none_failed) << "a write failed before the cut";
  store->reset();
  ASSERT_TRUE(fs->DropUnsynced("/n/").ok());
  store = Store::Open("/n", &clock, InMemory(env.get()));
  ASSERT_TRUE(store.ok()) << store.status();
  for (const std::string& id : before_cut) {
    EXPECT_TRUE((*store)->Get(id).ok()) << "acknowledged " << id << " lost";
  }
  EXPECT_GE((*store)->LastSeq(), published) << "a published seq was lost";
  EXPECT_GE((*store)->LastSeq(), before_cut.size());
  EXPECT_TRUE((*store)->Verify().ok());
}

TEST(SimTest, TinyDistrictSeedsKeepEveryInvariant) {
  spdlog::set_level(spdlog::level::err);
  for (uint64_t seed : {1, 2, 3}) ExpectPasses(RunSeed(Tiny(seed)));
}

TEST(SimTest, ASeedReplaysExactly) {
  spdlog::set_level(spdlog::level::err);
  SimResult a = RunSeed(Tiny(11)), b = RunSeed(Tiny(11)), c = RunSeed(Tiny(12));
  ExpectPasses(a);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.sessions, b.sessions);
  EXPECT_EQ(a.crashes, b.crashes);
  EXPECT_NE(a.digest, c.digest);  // the digest does see the seed
}

}  // namespace
}  // namespace ilp::sim
