#include "storage/store/rocks_options.h"

#include <algorithm>
#include <memory>

#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/write_buffer_manager.h"

namespace ilp {

RocksOptions StoreRocksOptions(const StoreOptions& options) {
  const size_t mib = size_t{1} << 20, budget = std::max<uint32_t>(options.memory_mib, 8) * mib;
  RocksOptions r;
  r.budget_bytes = budget;
  rocksdb::Options& opts = r.db;
  opts.create_if_missing = true;
  opts.create_missing_column_families = true;
  opts.max_background_jobs = 2;
  opts.keep_log_file_num = 5;
  // Every acknowledged write is fsynced to the WAL, so a WAL that does not
  // replay to its end lost acknowledged writes: refuse it (a WAL cut short
  // replays cleanly up to the cut under the other modes). docs/reliability.md.
  opts.wal_recovery_mode = rocksdb::WALRecoveryMode::kAbsoluteConsistency;
  opts.paranoid_checks = true;
  if (options.env != nullptr) opts.env = options.env;
  // One block cache of three quarters of the budget is charged with all that
  // RocksDB holds in memory, so memory does not grow with the store: the
  // memtables (half the budget is their flush trigger, the largest column
  // family first; two memtables per family at most), data blocks, and the index and filter
  // blocks of every table. Those are partitioned, so only their top levels
  // stay pinned (and all of L0's, which every read consults).
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(budget / 4 * 3);
  // allow_stall stays off: RocksDB 7.8's manager stalls every write once the
  // memtables of all families reach the budget, but asks for a flush only
  // when the *mutable* ones reach half of it, so with the budget spread over
  // seven families a stall can wait for a flush nobody schedules, for good
  // (facebook/rocksdb#11780; seen here in ilp-bench's apply baseline and in
  // apply_bench, 2026-12-07). Without the stall the budget is a flush trigger
  // and each family's own two memtables bound what waits for a flush.
  opts.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(budget / 2, table.block_cache, false);
  table.cache_index_and_filter_blocks = true;  // at high priority, by default
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.optimize_filters_for_memory = true;
  // New records are looked up before they exist: a Bloom filter answers
  // most of those misses without reading a data block.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Debian's RocksDB is built without SSE 4.2, so CRC32c is the slow table
  // loop; XXH3 is fast on any CPU. Per file, so older files stay readable.
  table.checksum = rocksdb::kXXH3;
  // 32 KiB data blocks, not 4: records of one kind are similar protobufs, and
  // zstd and LZ4 find more of that in a larger block. A 30,000-visit store
  // compacts to 444 bytes a visit instead of 589; a point read that misses
  // the cache decompresses 32 KiB instead of 4. zstd stays at level 3 in the
  // last level: level 6 saved 11% more but tripled zstd's share of a
  // posyandu's CPU while it takes writes (docs/performance.md, "Disk: larger
  // blocks").
  table.block_size = 32 * 1024;
  rocksdb::ColumnFamilyOptions cf;
  // A quarter of the budget, at most 64 MiB. A sixteenth (so the eight
  // memtables the four busy families may hold all fit in half the budget)
  // was tried: the 100,000-visit chain took 16% longer (more flushes and
  // compactions) and a district of 1,000,000 visits peaked the same, its
  // memtables never past 119 MiB of its 192 MiB cache with these sizes
  // (docs/performance.md, "Memory beyond the budget").
  cf.write_buffer_size = std::min<size_t>(64 * mib, budget / 4);
  cf.max_write_buffer_number = 2;
  // A memtable Bloom filter is allocated when a memtable is made, in a new
  // arena block, so families that are rarely written would hold memory no
  // flush frees: only the two that every Apply looks ids up in have one
  // (`point`, below). Most of those lookups are of new ids; the filter
  // answers them without walking the skip list (apply_bench, 1,000-visit
  // batch: 57.8 -> 54 ms; docs/performance.md, "Apply, second pass").
  // Most bytes end in the last level: zstd there, with a dictionary built
  // from samples of each file's first blocks (4 KiB blocks of similar
  // protobufs compress poorly alone); LZ4 above it, where data is rewritten
  // soon. Unbounded buffering and zstd's trainer took 20 MiB of a posyandu's
  // peak (heaptrack), hence the limits.
  cf.compression = rocksdb::kLZ4Compression;
  cf.bottommost_compression = rocksdb::kZSTD;
  rocksdb::CompressionOptions& dict = cf.bottommost_compression_opts;
  dict.enabled = true;
  dict.max_dict_bytes = 16 * 1024;
  dict.zstd_max_train_bytes = 256 * 1024;
  dict.max_dict_buffer_bytes = 1024 * 1024;
  dict.use_zstd_dict_trainer = false;  // finalizes sampled blocks: no trainer tables
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::ColumnFamilyOptions point = cf;  // records and audit: read by id in every Apply
  point.memtable_prefix_bloom_size_ratio = 0.02;  // 2% of the memtable: 80 KiB at a posyandu
  point.memtable_whole_key_filtering = true;
  r.cfs = {{rocksdb::kDefaultColumnFamilyName, cf}, {"records", point}, {"changelog", cf}, {"index", cf},
           {"lost", cf}, {"quarantine", cf}, {"audit", point}};
  return r;
}

}  // namespace ilp
