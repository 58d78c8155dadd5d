// The store's audit trail: read whole, or by patient through the audit index
// (keys.h, 'a'; built for older stores by Store::MigrateToFormat2).
#include "rocksdb/db.h"
#include "storage/store/keys.h"
#include "storage/store/rocks_status.h"
#include "storage/store/store.h"
#include "storage/util/status_macros.h"

namespace ilp {

using store_internal::FromRocks;
using store_internal::View;

absl::Status Store::ForEachAudit(const std::function<bool(const v1::Record&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), audit_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::Record r;
    if (!r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("audit event ", View(it->key()), " does not parse"));
    }
    if (!fn(r)) break;
  }
  return FromRocks(it->status(), "reading the audit trail");
}

absl::Status Store::ForEachAuditOf(absl::string_view patient_id, int64_t since_ms,
                                   const std::function<bool(const v1::Record&)>& fn) const {
  if (patient_id.empty()) return absl::InvalidArgumentError("audit by patient: patient id is empty");
  const std::string prefix = IndexKey('a', {patient_id, ""});
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
  for (it->Seek(AuditPatientKey(patient_id, since_ms, "")); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    const absl::string_view id = IndexTarget(View(it->key()));
    std::string raw;
    rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), audit_, rocksdb::Slice(id.data(), id.size()), &raw);
    if (st.IsNotFound()) return absl::DataLossError(absl::StrCat("audit index names event ", id, ", which is missing"));
    ILP_RETURN_IF_ERROR(FromRocks(st, absl::StrCat("reading audit event ", id)));
    v1::Record r;
    if (!r.ParseFromString(raw)) return absl::DataLossError(absl::StrCat("audit event ", id, " does not parse"));
    if (!fn(r)) break;
  }
  return FromRocks(it->status(), "reading the audit index");
}

}  // namespace ilp
