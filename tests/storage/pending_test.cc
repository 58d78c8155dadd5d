// Store::Pending, the per-peer counters behind `ilpctl status`, against
// Store::BacklogAfter, the scan it replaces.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "storage/clock/clock.h"
#include "storage/store/store.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

constexpr int64_t kT0 = 1'795'392'000'000;

v1::Record Patient(uint64_t n, const std::string& village) {
  v1::Record r;
  r.set_id(absl::StrCat("0190a0b1-0000-7000-8000-", 100000000000 + n));
  r.mutable_created()->set_wall_ms(kT0);
  r.mutable_created()->set_node("pos-a");
  auto* v = r.mutable_patient()->add_versions();
  v->set_field("address.village_code");
  v->mutable_stamp()->set_wall_ms(kT0 + static_cast<int64_t>(n));
  v->mutable_stamp()->set_node("pos-a");
  r.mutable_patient()->mutable_value()->mutable_address()->set_village_code(village);
  return r;
}

void ExpectSame(Store& store, const std::string& peer, uint64_t cursor, const std::string& when) {
  absl::StatusOr<Backlog> kept = store.Pending(peer, cursor);
  absl::StatusOr<Backlog> scanned = store.BacklogAfter(cursor, peer);
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_TRUE(scanned.ok()) << scanned.status();
  EXPECT_EQ(kept->changes, scanned->changes) << when << ", peer " << peer << ", cursor " << cursor;
  EXPECT_EQ(kept->bytes, scanned->bytes) << when << ", peer " << peer << ", cursor " << cursor;
  EXPECT_EQ(kept->oldest_ms, scanned->oldest_ms) << when << ", peer " << peer << ", cursor " << cursor;
}

// Random batches from local writers and three peers (new records, updates,
// duplicates that log nothing), random cursor moves (mostly forward, some
// back, some past a run of the peer's own changes), and reopens.
TEST(PendingTest, CountersEqualTheScanAfterEveryStep) {
  testing::TempDir dir;
  FakeClock clock(kT0);
  auto opened = Store::Open(dir.path(), &clock);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Store> store = std::move(*opened);
  std::mt19937_64 rng(14);
  const std::vector<std::string> peers = {"pus-a", "pos-b", "pos-c"};
  std::map<std::string, uint64_t> cursor;
  uint64_t records = 0;
  for (int step = 0; step < 600; ++step) {
    const std::string when = absl::StrCat("step ", step);
    const int action = static_cast<int>(rng() % 10);
    if (action < 5) {
      ApplyRequest req;
      const int via = static_cast<int>(rng() % 4);
      req.via = via == 3 ? "" : peers[via];
      const int n = 1 + static_cast<int>(rng() % 5);
      for (int i = 0; i < n; ++i) {
        const uint64_t id = rng() % 3 == 0 && records > 0 ? rng() % records : records++;
        req.deltas.push_back(Patient(id, absl::StrCat("53710310", rng() % 3)));
      }
      req.sync = false;
      clock.Advance(static_cast<int64_t>(rng() % 1000));
      ASSERT_TRUE(store->Apply(std::move(req)).ok());
    } else if (action < 9) {
      const std::string& peer = peers[rng() % peers.size()];
      const uint64_t head = store->LastSeq();
      uint64_t& c = cursor[peer];
      c = action == 8 ? rng() % (head + 1) : std::min(head, c + rng() % 12);
    } else {
      store.reset();
      opened = Store::Open(dir.path(), &clock);
      ASSERT_TRUE(opened.ok()) << opened.status();
      store = std::move(*opened);
    }
    for (const auto& [peer, c] : cursor) ExpectSame(*store, peer, c, when);
    // A status reading an older cursor than the session just set, and back.
    if (!cursor.empty() && rng() % 7 == 0) {
      const auto& [peer, c] = *cursor.begin();
      ExpectSame(*store, peer, c / 2, when + " (behind)");
      ExpectSame(*store, peer, c, when + " (back)");
    }
    if (HasFailure()) return;
  }
  EXPECT_GT(store->LastSeq(), 500u);
}

// Counters built and moved while another thread applies: passes over the
// log run without the store's lock, so writes land during them.
TEST(PendingTest, CountersStayExactUnderConcurrentApply) {
  testing::TempDir dir;
  FakeClock clock(kT0);
  auto opened = Store::Open(dir.path(), &clock);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Store> store = std::move(*opened);
  auto write = [&](uint64_t from, uint64_t count, uint64_t per_batch) {
    for (uint64_t i = from; i < from + count; i += per_batch) {
      ApplyRequest req;
      req.via = i % 3 == 0 ? "pus-a" : i % 3 == 1 ? "pos-b" : "";
      for (uint64_t j = i; j < i + per_batch; ++j) req.deltas.push_back(Patient(j, "5371031001"));
      req.sync = false;
      clock.Advance(1);
      if (!store->Apply(std::move(req)).ok()) return false;
    }
    return true;
  };
  ASSERT_TRUE(write(0, 20000, 100));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    write(20000, 4000, 2);
    done = true;
  });
  std::mt19937_64 rng(7);
  std::map<std::string, uint64_t> cursor;
  for (int round = 0; !done; ++round) {
    // A peer asked for the first time, then cursors moved back and forth.
    const std::string peer = round < 2 ? (round == 0 ? "pus-a" : "pos-b") : rng() % 2 ? "pus-a" : "pos-b";
    uint64_t& c = cursor[peer];
    const uint64_t head = store->LastSeq();
    const int move = static_cast<int>(rng() % 4);
    c = move == 0 ? rng() % (head + 1) : move == 1 ? head : std::min(head, c + rng() % 3000);
    absl::StatusOr<Backlog> b = store->Pending(peer, c);
    ASSERT_TRUE(b.ok()) << b.status();
    // The exact figures move under the writer; this much holds at any time.
    EXPECT_EQ(b->changes == 0, b->oldest_ms == 0) << "round " << round;
  }
  writer.join();
  for (const auto& [peer, c] : cursor) ExpectSame(*store, peer, c, "after the writer");
}

// Reads (and, with `put`, replaces) the counters a clean close stored, with
// RocksDB directly while no store is open.
std::string RawCounters(const std::string& dir, const std::string* put = nullptr) {
  rocksdb::Options opts;
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(opts, dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const std::string& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  EXPECT_TRUE(rocksdb::DB::Open(opts, dir, cfs, &handles, &raw).ok());
  std::string v;
  if (put != nullptr) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    EXPECT_TRUE(raw->Put(wo, "pending-counters", *put).ok());
  }
  EXPECT_TRUE(raw->Get(rocksdb::ReadOptions(), "pending-counters", &v).ok());
  for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
  delete raw;
  return v;
}

// A clean close keeps the counters for the next open; counters stored
// before later writes (as a crash leaves them) are not taken.
TEST(PendingTest, StoredCountersAreTakenOnlyForTheHeadTheyHoldFor) {
  testing::TempDir dir;
  FakeClock clock(kT0);
  auto open = [&] {
    auto s = Store::Open(dir.path(), &clock);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  };
  auto apply = [&](Store& store, uint64_t from) {
    ApplyRequest req;
    for (uint64_t i = from; i < from + 10; ++i) req.deltas.push_back(Patient(i, "5371031001"));
    ASSERT_TRUE(store.Apply(std::move(req)).ok());
  };
  std::unique_ptr<Store> store = open();
  ASSERT_NE(store, nullptr);
  apply(*store, 0);
  ASSERT_EQ(store->Pending("pus-a", 3)->changes, 7u);
  store.reset();
  const std::string first = RawCounters(dir.path());
  EXPECT_EQ(first.substr(0, 3), "10\n");
  // Taken at open: a forged count for the same head shows through.
  std::string forged = first;
  forged.replace(forged.find("\t7\t"), 3, "\t9\t");
  RawCounters(dir.path(), &forged);
  store = open();
  EXPECT_EQ(store->Pending("pus-a", 3)->changes, 9u);
  store.reset();
  RawCounters(dir.path(), &first);
  store = open();
  apply(*store, 10);
  ExpectSame(*store, "pus-a", 3, "after more writes");
  store.reset();
  // As after a crash: the counters of an older head are left in the store.
  RawCounters(dir.path(), &first);
  store = open();
  ExpectSame(*store, "pus-a", 3, "with the counters of an older head");
  ExpectSame(*store, "pus-a", 15, "moved on");
}

}  // namespace
}  // namespace ilp
