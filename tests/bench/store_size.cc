#include "tests/bench/store_size.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/metadata.h"
#include "rocksdb/utilities/options_util.h"

namespace ilp::bench {

absl::StatusOr<std::map<std::string, uint64_t>> CompactedSstBytes(const std::string& dir) {
  rocksdb::ConfigOptions config;
  rocksdb::DBOptions db_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  rocksdb::Status s = rocksdb::LoadLatestOptions(config, dir, &db_options, &cfs);
  if (!s.ok()) return absl::InternalError(absl::StrCat("options of ", dir, ": ", s.ToString()));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::Open(db_options, dir, cfs, &handles, &raw);
  if (!s.ok()) return absl::InternalError(absl::StrCat("opening ", dir, ": ", s.ToString()));
  std::unique_ptr<rocksdb::DB> db(raw);
  std::map<std::string, uint64_t> bytes;
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    if (s.ok()) s = db->Flush(rocksdb::FlushOptions(), h);
    if (s.ok()) s = db->CompactRange(compact, h, nullptr, nullptr);
    rocksdb::ColumnFamilyMetaData meta;
    db->GetColumnFamilyMetaData(h, &meta);
    bytes[h->GetName()] = meta.size;
  }
  for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
  if (!s.ok()) return absl::InternalError(absl::StrCat("compacting ", dir, ": ", s.ToString()));
  return bytes;
}

}  // namespace ilp::bench
