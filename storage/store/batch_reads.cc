#include "storage/store/batch_reads.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "storage/store/rocks_status.h"

namespace ilp::store_internal {

absl::Status BatchReads::Read(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* records,
                              rocksdb::ColumnFamilyHandle* audit, const std::vector<v1::Record>& deltas) {
  slots_.assign(deltas.size(), Slot::kNotRead);
  values_.assign(deltas.size(), std::string());
  absl::flat_hash_set<absl::string_view> seen;
  seen.reserve(deltas.size());
  // Per family: the keys and the delta each answers.
  std::vector<rocksdb::Slice> keys[2];
  std::vector<size_t> owner[2];
  for (size_t i = 0; i < deltas.size(); ++i) {
    const std::string& id = deltas[i].id();
    if (id.empty() || !seen.insert(id).second) continue;
    const int f = deltas[i].has_audit() ? 1 : 0;
    keys[f].emplace_back(id);
    owner[f].push_back(i);
  }
  for (int f = 0; f < 2; ++f) {
    const size_t n = keys[f].size();
    if (n == 0) continue;
    std::vector<rocksdb::PinnableSlice> values(n);
    std::vector<rocksdb::Status> statuses(n);
    db->MultiGet(rocksdb::ReadOptions(), f == 1 ? audit : records, n, keys[f].data(), values.data(),
                 statuses.data());
    for (size_t k = 0; k < n; ++k) {
      const size_t i = owner[f][k];
      if (statuses[k].IsNotFound()) {
        slots_[i] = Slot::kMissing;
      } else if (statuses[k].ok()) {
        slots_[i] = Slot::kFound;
        values_[i].assign(values[k].data(), values[k].size());
      } else {
        return FromRocks(statuses[k], absl::StrCat("reading record ", deltas[i].id()));
      }
    }
  }
  return absl::OkStatus();
}

bool BatchReads::Take(size_t i, bool* found, std::string* raw) {
  if (i >= slots_.size() || slots_[i] == Slot::kNotRead) return false;
  *found = slots_[i] == Slot::kFound;
  if (*found) raw->swap(values_[i]);
  slots_[i] = Slot::kNotRead;
  return true;
}

}  // namespace ilp::store_internal
