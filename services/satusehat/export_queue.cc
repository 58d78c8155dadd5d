#include "services/satusehat/export_queue.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/util/status_macros.h"

namespace ilp::satusehat {
namespace {

constexpr char kCursorKey[] = "satusehat/cursor";
constexpr char kCountsKey[] = "satusehat/counts";
constexpr char kEntryPrefix[] = "satusehat/q/";
constexpr char kSendPrefix[] = "satusehat/a/";
constexpr char kHeldPrefix[] = "satusehat/h/";
constexpr char kRejectedPrefix[] = "satusehat/r/";

// Index key of `e` in its state's index, "" if its state has none.
std::string IndexKey(const v1::ExportEntry& e) {
  const char* order = e.kind() == "encounter" ? "0" : "1";
  switch (e.state()) {
    case v1::EXPORT_PENDING:
    case v1::EXPORT_IN_FLIGHT:
      return absl::StrCat(kSendPrefix, order, e.record_id());
    case v1::EXPORT_HELD:
      return absl::StrCat(kHeldPrefix, order, e.record_id());
    case v1::EXPORT_REJECTED:
      return absl::StrCat(kRejectedPrefix, e.record_id());
    default:
      return "";
  }
}

}  // namespace

absl::StatusOr<uint64_t> ExportQueue::Cursor() const {
  absl::StatusOr<std::string> v = store_->GetMeta(kCursorKey);
  if (absl::IsNotFound(v.status())) return 0;
  if (!v.ok()) return v.status();
  uint64_t seq = 0;
  if (!absl::SimpleAtoi(*v, &seq)) return absl::DataLossError("meta satusehat/cursor does not parse");
  return seq;
}

absl::StatusOr<v1::ExportEntry> ExportQueue::Get(const std::string& record_id) const {
  ILP_ASSIGN_OR_RETURN(const std::string raw, store_->GetMeta(absl::StrCat(kEntryPrefix, record_id)));
  v1::ExportEntry e;
  if (!e.ParseFromString(raw)) {
    return absl::DataLossError(absl::StrCat("meta satusehat/q/", record_id, " does not parse"));
  }
  return e;
}

absl::Status ExportQueue::LoadCounts() {
  if (counts_loaded_) return absl::OkStatus();
  absl::StatusOr<std::string> raw = store_->GetMeta(kCountsKey);
  if (raw.ok()) {
    if (!counts_.ParseFromString(*raw)) return absl::DataLossError("meta satusehat/counts does not parse");
  } else if (!absl::IsNotFound(raw.status())) {
    return raw.status();
  }
  counts_loaded_ = true;
  return absl::OkStatus();
}

absl::Status ExportQueue::Stage(const v1::ExportEntry* old, const v1::ExportEntry& e, ApplyRequest* req) {
  if (old != nullptr) {
    const std::string k = IndexKey(*old);
    if (!k.empty() && k != IndexKey(e)) req->meta_deletes.push_back(k);
    uint64_t& n = (*(*counts_.mutable_orgs())[old->org_ihs()].mutable_by_state())[old->state()];
    if (n > 0) --n;
  }
  const std::string k = IndexKey(e);
  if (!k.empty()) req->meta.emplace_back(k, "");
  ++(*(*counts_.mutable_orgs())[e.org_ihs()].mutable_by_state())[e.state()];
  req->meta.emplace_back(absl::StrCat(kEntryPrefix, e.record_id()), e.SerializeAsString());
  const bool newly_sent = e.state() == v1::EXPORT_SENT &&
                          (old == nullptr || old->state() != v1::EXPORT_SENT || old->server_id() != e.server_id());
  return newly_sent && on_sent_ ? on_sent_(e, req) : absl::OkStatus();
}

absl::Status ExportQueue::Enqueue(const std::vector<v1::ExportEntry>& entries, uint64_t cursor) {
  absl::MutexLock l(&mu_);
  ILP_RETURN_IF_ERROR(LoadCounts());
  const v1::ExportCounts before = counts_;
  ApplyRequest req;
  std::set<std::string> staged;
  for (const v1::ExportEntry& e : entries) {
    if (!staged.insert(e.record_id()).second) continue;
    absl::StatusOr<v1::ExportEntry> have = Get(e.record_id());
    if (have.ok()) continue;  // queued by an earlier change of the same record
    if (!absl::IsNotFound(have.status())) {
      counts_ = before;  // entries staged so far were counted, and are not written
      return have.status();
    }
    if (absl::Status s = Stage(nullptr, e, &req); !s.ok()) {
      counts_ = before;
      return s;
    }
  }
  req.meta.emplace_back(kCursorKey, absl::StrCat(cursor));
  req.meta.emplace_back(kCountsKey, counts_.SerializeAsString());
  absl::StatusOr<ApplyResult> r = store_->Apply(std::move(req));
  if (!r.ok()) {
    counts_ = before;
    return r.status();
  }
  return absl::OkStatus();
}

absl::Status ExportQueue::Put(const v1::ExportEntry& e) { return PutAll({e}); }

absl::Status ExportQueue::PutAll(const std::vector<v1::ExportEntry>& es) {
  absl::MutexLock l(&mu_);
  ILP_RETURN_IF_ERROR(LoadCounts());
  std::set<std::string> ids;
  for (const v1::ExportEntry& e : es) {
    if (!ids.insert(e.record_id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("export queue: ", e.record_id(), " twice in one batch"));
    }
  }
  const v1::ExportCounts before = counts_;
  ApplyRequest req;
  for (const v1::ExportEntry& e : es) {
    absl::StatusOr<v1::ExportEntry> old = Get(e.record_id());
    if (!old.ok() && !absl::IsNotFound(old.status())) {
      counts_ = before;
      return old.status();
    }
    if (absl::Status s = Stage(old.ok() ? &*old : nullptr, e, &req); !s.ok()) {
      counts_ = before;
      return s;
    }
  }
  req.meta.emplace_back(kCountsKey, counts_.SerializeAsString());
  absl::StatusOr<ApplyResult> r = store_->Apply(std::move(req));
  if (!r.ok()) {
    counts_ = before;
    return r.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ExportQueue::Ids(const std::string& prefix) const {
  ILP_ASSIGN_OR_RETURN(const auto kv, store_->ScanMeta(prefix));
  std::vector<std::string> ids;
  ids.reserve(kv.size());
  // Send and held keys carry a one-character order before the id.
  const size_t skip = prefix.size() + (prefix == kRejectedPrefix ? 0 : 1);
  for (const auto& [k, v] : kv) ids.push_back(k.substr(skip));
  return ids;
}

absl::StatusOr<std::vector<std::string>> ExportQueue::ToSend() const { return Ids(kSendPrefix); }
absl::StatusOr<std::vector<std::string>> ExportQueue::Held() const { return Ids(kHeldPrefix); }

absl::StatusOr<std::vector<v1::ExportEntry>> ExportQueue::Problems(size_t limit) const {
  std::vector<v1::ExportEntry> out;
  for (const char* prefix : {kHeldPrefix, kRejectedPrefix}) {
    ILP_ASSIGN_OR_RETURN(const std::vector<std::string> ids, Ids(prefix));
    for (const std::string& id : ids) {
      ILP_ASSIGN_OR_RETURN(v1::ExportEntry e, Get(id));
      out.push_back(std::move(e));
    }
  }
  std::sort(out.begin(), out.end(), [](const v1::ExportEntry& a, const v1::ExportEntry& b) {
    return a.updated_ms() != b.updated_ms() ? a.updated_ms() > b.updated_ms() : a.record_id() < b.record_id();
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

absl::StatusOr<std::vector<v1::ExportEntry>> ExportQueue::Page(const std::string& after, size_t limit) const {
  ILP_ASSIGN_OR_RETURN(const auto kv,
                       store_->ScanMeta(kEntryPrefix, after.empty() ? "" : absl::StrCat(kEntryPrefix, after), limit));
  std::vector<v1::ExportEntry> out(kv.size());
  for (size_t i = 0; i < kv.size(); ++i) {
    if (!out[i].ParseFromString(kv[i].second)) return absl::DataLossError(absl::StrCat("meta ", kv[i].first, " does not parse"));
  }
  return out;
}

absl::StatusOr<v1::ExportCounts> ExportQueue::Counts() const {
  absl::StatusOr<std::string> raw = store_->GetMeta(kCountsKey);
  v1::ExportCounts c;
  if (absl::IsNotFound(raw.status())) return c;
  if (!raw.ok()) return raw.status();
  if (!c.ParseFromString(*raw)) return absl::DataLossError("meta satusehat/counts does not parse");
  return c;
}

}  // namespace ilp::satusehat
