// RocksDB results as the store reports them (internal to storage/store).
#ifndef ILP_STORAGE_STORE_ROCKS_STATUS_H_
#define ILP_STORAGE_STORE_ROCKS_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace ilp::store_internal {

inline absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

// A RocksDB status as an absl::Status naming `what`: NOT_FOUND, DATA_LOSS for
// corruption, RESOURCE_EXHAUSTED for a full disk, FAILED_PRECONDITION for a
// data dir another process holds, INTERNAL otherwise.
inline absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat(what, ": not found"));
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(what, ": ", s.ToString()));
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(absl::StrCat(what, ": ", s.ToString()));
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": ", s.ToString(), " (is another ilp-node using this data_dir?)"));
  }
  return absl::InternalError(absl::StrCat(what, ": ", s.ToString()));
}

}  // namespace ilp::store_internal

#endif  // ILP_STORAGE_STORE_ROCKS_STATUS_H_
