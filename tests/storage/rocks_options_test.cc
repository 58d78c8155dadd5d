// The store's RocksDB options keep RocksDB's memory within the node's budget
// (store_memory_mib): one block cache, charged with the memtables.
#include "storage/store/rocks_options.h"

#include <gtest/gtest.h>

#include "rocksdb/table.h"
#include "rocksdb/write_buffer_manager.h"

namespace ilp {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

TEST(RocksOptionsTest, OneCacheOfThreeQuartersOfTheBudgetIsChargedWithTheMemtables) {
  // A posyandu's, a pustu's, a puskesmas's and a district's default budgets
  // (services/node/config.cc).
  for (uint32_t mib : {16u, 32u, 128u, 256u}) {
    StoreOptions o;
    o.memory_mib = mib;
    const RocksOptions r = StoreRocksOptions(o);
    EXPECT_EQ(r.budget_bytes, mib * kMiB);
    ASSERT_NE(r.db.write_buffer_manager, nullptr);
    const rocksdb::WriteBufferManager& wbm = *r.db.write_buffer_manager;
    EXPECT_EQ(wbm.buffer_size(), mib * kMiB / 2) << "memtables' flush trigger, " << mib;
    EXPECT_TRUE(wbm.cost_to_cache()) << "memtables charged to the block cache, " << mib;
    for (const auto& cf : r.cfs) {
      // Every family reads through the same cache, of three quarters of the budget.
      const auto* table = cf.options.table_factory->GetOptions<rocksdb::BlockBasedTableOptions>();
      ASSERT_NE(table, nullptr) << cf.name;
      ASSERT_NE(table->block_cache, nullptr) << cf.name;
      EXPECT_EQ(table->block_cache->GetCapacity(), mib * kMiB / 4 * 3) << cf.name;
      EXPECT_TRUE(table->cache_index_and_filter_blocks) << cf.name << ": index and filters in the cache";
      EXPECT_LE(cf.options.write_buffer_size, mib * kMiB / 4) << cf.name;
    }
  }
}

TEST(RocksOptionsTest, ABudgetUnderEightMiBIsRaisedToEight) {
  StoreOptions o;
  o.memory_mib = 1;
  EXPECT_EQ(StoreRocksOptions(o).budget_bytes, 8 * kMiB);
}

}  // namespace
}  // namespace ilp
