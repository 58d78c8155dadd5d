// The stored states an Apply needs, read in one RocksDB MultiGet per column
// family before the merge loop (internal to storage/store).
//
// A batch of 1,000 visits looks up about 6,000 ids, nearly all new at the
// receiving tier. One MultiGet per family sorts the keys once and probes
// each table's filter for the whole batch, where a Get per id walks the
// memtable and every level's filter alone.
#ifndef ILP_STORAGE_STORE_BATCH_READS_H_
#define ILP_STORAGE_STORE_BATCH_READS_H_

#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "rocksdb/db.h"
#include "ilp/v1/state.pb.h"

namespace ilp::store_internal {

class BatchReads {
 public:
  // Reads, for every delta whose id has not appeared earlier in `deltas`,
  // its stored state: from `audit` for audit events, `records` otherwise.
  // A later delta of an id is not read here (the Apply holds its state).
  ABSL_MUST_USE_RESULT absl::Status Read(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* records,
                                         rocksdb::ColumnFamilyHandle* audit,
                                         const std::vector<v1::Record>& deltas);

  // Whether delta `i` was read; if so, `*found` and `*raw` (when found).
  ABSL_MUST_USE_RESULT bool Take(size_t i, bool* found, std::string* raw);

 private:
  enum class Slot : uint8_t { kNotRead, kMissing, kFound };
  std::vector<Slot> slots_;
  std::vector<std::string> values_;  // by delta, for kFound
};

}  // namespace ilp::store_internal

#endif  // ILP_STORAGE_STORE_BATCH_READS_H_
