// Point reads of record states (Store::Get and Store::GetMany).
#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "storage/store/rocks_status.h"
#include "storage/store/store.h"
#include "storage/util/status_macros.h"

namespace ilp {

using store_internal::FromRocks;

absl::StatusOr<v1::Record> Store::Get(absl::string_view id) const {
  std::string raw;
  rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), records_, rocksdb::Slice(id.data(), id.size()), &raw);
  if (st.IsNotFound()) return absl::NotFoundError(absl::StrCat("record ", id, " not found"));
  ILP_RETURN_IF_ERROR(FromRocks(st, absl::StrCat("reading record ", id)));
  v1::Record r;
  if (!r.ParseFromString(raw)) return absl::DataLossError(absl::StrCat("record ", id, " does not parse"));
  return r;
}

absl::StatusOr<std::vector<std::optional<v1::Record>>> Store::GetMany(
    const std::vector<absl::string_view>& ids) const {
  const size_t n = ids.size();
  std::vector<rocksdb::Slice> keys;
  keys.reserve(n);
  for (absl::string_view id : ids) keys.emplace_back(id.data(), id.size());
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  if (n > 0) db_->MultiGet(rocksdb::ReadOptions(), records_, n, keys.data(), values.data(), statuses.data());
  std::vector<std::optional<v1::Record>> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    ILP_RETURN_IF_ERROR(FromRocks(statuses[i], absl::StrCat("reading record ", ids[i])));
    out[i].emplace();
    if (!out[i]->ParseFromArray(values[i].data(), static_cast<int>(values[i].size()))) {
      return absl::DataLossError(absl::StrCat("record ", ids[i], " does not parse"));
    }
  }
  return out;
}

}  // namespace ilp
