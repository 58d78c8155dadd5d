// store_tune: what a store's block size and last-level zstd level do to its
// size and to a point read (docs/performance.md, "Disk: larger blocks").
// Works on a COPY of a stopped node's store (ilp-bench --keep leaves four):
// recompacts every column family into the last level with the given
// settings, prints the SST bytes by family, then times random Gets of the
// records with a block cache of the given size, the store opened read-only.
//
//   cp -r /tmp/run/chain/pustu-oetete/data /tmp/copy
//   build/bin/store_tune --dir /tmp/copy --block-kib 32 --zstd-level 3 --cache-mib 4
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/metadata.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/options_util.h"

namespace {

struct Tuning {
  std::string dir;
  size_t block_kib = 32;
  int zstd_level = 3;
  size_t cache_mib = 4;
  size_t reads = 20000;
};

int Fail(const char* what, const rocksdb::Status& s) {
  std::fprintf(stderr, "store_tune: %s: %s\n", what, s.ToString().c_str());
  return 1;
}

// The store's last options with `change` applied to every family's table
// options and compression options.
template <typename Fn>
rocksdb::Status LoadOptions(const std::string& dir, rocksdb::DBOptions* db,
                            std::vector<rocksdb::ColumnFamilyDescriptor>* cfs, Fn change) {
  rocksdb::ConfigOptions config;
  rocksdb::Status s = rocksdb::LoadLatestOptions(config, dir, db, cfs);
  if (!s.ok()) return s;
  db->write_buffer_manager.reset();  // it was charged to the node's own cache
  for (rocksdb::ColumnFamilyDescriptor& cf : *cfs) {
    rocksdb::BlockBasedTableOptions table = *cf.options.table_factory->GetOptions<rocksdb::BlockBasedTableOptions>();
    change(table, cf.options);
    cf.options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  }
  return rocksdb::Status::OK();
}

int Recompact(const Tuning& t) {
  rocksdb::DBOptions db_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  rocksdb::Status s = LoadOptions(t.dir, &db_options, &cfs, [&](auto& table, auto& cf) {
    table.block_size = t.block_kib * 1024;
    cf.bottommost_compression_opts.level = t.zstd_level;
  });
  if (!s.ok()) return Fail("options", s);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::Open(db_options, t.dir, cfs, &handles, &raw);
  if (!s.ok()) return Fail("open", s);
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;  // rewrite every file
  uint64_t total = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    if (s.ok()) s = db->Flush(rocksdb::FlushOptions(), h);
    if (s.ok()) s = db->CompactRange(compact, h, nullptr, nullptr);
    rocksdb::ColumnFamilyMetaData meta;
    db->GetColumnFamilyMetaData(h, &meta);
    std::printf("%-12s %12llu bytes\n", h->GetName().c_str(), static_cast<unsigned long long>(meta.size));
    total += meta.size;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
  if (!s.ok()) return Fail("compacting", s);
  std::printf("%-12s %12llu bytes (%zu KiB blocks, zstd level %d; compacted in %.2f s)\n", "total",
              static_cast<unsigned long long>(total), t.block_kib, t.zstd_level, secs);
  return 0;
}

int TimeReads(const Tuning& t) {
  rocksdb::DBOptions db_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(t.cache_mib << 20);
  rocksdb::Status s =
      LoadOptions(t.dir, &db_options, &cfs, [&](auto& table, auto&) { table.block_cache = cache; });
  if (!s.ok()) return Fail("options", s);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(db_options, t.dir, cfs, &handles, &raw);
  if (!s.ok()) return Fail("open read-only", s);
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* records = nullptr;
  for (rocksdb::ColumnFamilyHandle* h : handles)
    if (h->GetName() == "records") records = h;
  std::vector<std::string> ids;
  if (records != nullptr) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), records));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ids.push_back(it->key().ToString());
    s = it->status();
  }
  if (s.ok() && ids.empty()) s = rocksdb::Status::NotFound("no records in the store");
  std::mt19937_64 rng(1);  // the same ids in the same order for every setting
  std::string value;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; s.ok() && i < t.reads; ++i) s = db->Get(rocksdb::ReadOptions(), records, ids[rng() % ids.size()], &value);
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
  if (!s.ok()) return Fail("reading", s);
  std::printf("random Get of %zu records: %.1f us each (%zu reads, %zu MiB block cache)\n", ids.size(),
              us / t.reads, t.reads, t.cache_mib);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Tuning t;
  CLI::App app{"store_tune: recompact a copy of a store with another block size and zstd level, then time reads"};
  app.add_option("--dir", t.dir, "a copy of a stopped node's store (it is rewritten)")->required();
  app.add_option("--block-kib", t.block_kib, "data block size, KiB")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--zstd-level", t.zstd_level, "zstd level of the last level")->capture_default_str()->check(CLI::Range(1, 22));
  app.add_option("--cache-mib", t.cache_mib, "block cache for the reads, MiB")->capture_default_str();
  app.add_option("--reads", t.reads, "random Gets to time")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (int rc = Recompact(t); rc != 0) return rc;
  return TimeReads(t);
}
