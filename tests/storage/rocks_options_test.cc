// The store's RocksDB options keep RocksDB's memory within the node's budget
// (store_memory_mib), whatever the store's size: the laws the sizes obey.
#include "storage/store/rocks_options.h"

#include <gtest/gtest.h>

#include "rocksdb/table.h"

namespace ilp {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

size_t BlockCacheCapacity(const RocksOptions& r) {
  const auto* table = r.cfs[0].options.table_factory->GetOptions<rocksdb::BlockBasedTableOptions>();
  return table == nullptr || table->block_cache == nullptr ? 0 : table->block_cache->GetCapacity();
}

// Every Apply writes these four families; the other three are rarely written.
size_t WorstCaseMemtables(const RocksOptions& r) {
  size_t sum = 0;
  for (const auto& cf : r.cfs) {
    if (cf.name == "records" || cf.name == "changelog" || cf.name == "index" || cf.name == "audit") {
      sum += cf.options.write_buffer_size * static_cast<size_t>(cf.options.max_write_buffer_number);
    }
  }
  return sum;
}

TEST(RocksOptionsTest, MemtablesOfTheBusyFamiliesFitInHalfTheBudgetEvenWhenFlushesLag) {
  // The tiers' default budgets (services/node/config.cc) and a large one.
  for (uint32_t mib : {64u, 128u, 256u, 1024u}) {
    StoreOptions o;
    o.memory_mib = mib;
    const RocksOptions r = StoreRocksOptions(o);
    EXPECT_EQ(r.budget_bytes, mib * kMiB);
    EXPECT_EQ(BlockCacheCapacity(r), mib * kMiB / 4 * 3) << mib;
    // Each busy family may hold a full memtable and one waiting for its
    // flush; all of them still fit in the cache they are charged to, with
    // room left for data blocks.
    EXPECT_LE(WorstCaseMemtables(r), mib * kMiB / 2) << mib << " MiB budget";
    EXPECT_EQ(r.db.write_buffer_manager->buffer_size(), mib * kMiB / 2) << mib;
  }
}

TEST(RocksOptionsTest, SmallBudgetsKeepFourMiBMemtables) {
  // A posyandu (16 MiB) and a pustu (32 MiB) do not flush every few hundred
  // visits: their memtables stay 4 MiB, over half their budget at worst.
  for (uint32_t mib : {8u, 16u, 32u}) {
    StoreOptions o;
    o.memory_mib = mib;
    for (const auto& cf : StoreRocksOptions(o).cfs) EXPECT_EQ(cf.options.write_buffer_size, 4 * kMiB) << mib;
  }
}

}  // namespace
}  // namespace ilp
