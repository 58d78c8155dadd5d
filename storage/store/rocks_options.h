// The RocksDB options a store opens with: crash safety and its memory budget.
#ifndef ILP_STORAGE_STORE_ROCKS_OPTIONS_H_
#define ILP_STORAGE_STORE_ROCKS_OPTIONS_H_

#include <vector>

#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "storage/store/store.h"

namespace ilp {

struct RocksOptions {
  rocksdb::Options db;
  // Every column family of the current store format, the default (meta) first.
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  size_t budget_bytes = 0;  // the memory budget these options were sized for
};
RocksOptions StoreRocksOptions(const StoreOptions& options);

}  // namespace ilp

#endif  // ILP_STORAGE_STORE_ROCKS_OPTIONS_H_
