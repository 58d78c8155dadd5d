// The export queue's kept counts against its entries, when a write is refused.
#include "services/satusehat/export_queue.h"

#include <gtest/gtest.h>

#include "storage/clock/clock.h"
#include "storage/store/store.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

v1::ExportEntry Pending(const std::string& record_id) {
  v1::ExportEntry e;
  e.set_record_id(record_id);
  e.set_kind("encounter");
  e.set_org_ihs("100011961");
  e.set_state(v1::EXPORT_PENDING);
  return e;
}

uint64_t PendingCount(const satusehat::ExportQueue& q) {
  absl::StatusOr<v1::ExportCounts> c = q.Counts();
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok() || c->orgs().count("100011961") == 0) return 0;
  const auto& by_state = c->orgs().at("100011961").by_state();
  auto it = by_state.find(v1::EXPORT_PENDING);
  return it == by_state.end() ? 0 : it->second;
}

TEST(ExportQueueTest, AnEnqueueStoppedByADamagedEntryCountsNothingItDidNotWrite) {
  testing::TempDir dir;
  FakeClock clock(1'795'392'000'000);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.Sub("store"), &clock);
  ASSERT_TRUE(store.ok()) << store.status();
  satusehat::ExportQueue q(store->get());
  ApplyRequest damage;  // field 1, length 5, then 2 bytes: does not parse
  damage.meta.emplace_back("satusehat/q/rec-b", std::string("\x0a\x05" "ab", 4));
  ASSERT_TRUE((*store)->Apply(std::move(damage)).ok());

  // rec-a is staged (and counted) before rec-b's damaged entry stops the batch.
  const absl::Status st = q.Enqueue({Pending("rec-a"), Pending("rec-b")}, 7);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_EQ(PendingCount(q), 0u) << "nothing was written, so nothing is counted";
  EXPECT_TRUE(absl::IsNotFound(q.Get("rec-a").status()));

  ASSERT_TRUE(q.Enqueue({Pending("rec-a")}, 7).ok());
  EXPECT_EQ(PendingCount(q), 1u);
  satusehat::ExportQueue reopened(store->get());  // the kept counts, as stored
  EXPECT_EQ(PendingCount(reopened), 1u);
}

}  // namespace
}  // namespace ilp
