#include "services/audit/audit_query.h"

#include <algorithm>
#include <deque>

#include "storage/merge/stamp.h"
#include "storage/util/status_macros.h"

namespace ilp {

absl::StatusOr<v1::ListAuditResponse> ListAuditEvents(const Store& store,
                                                      const v1::ListAuditRequest& req) {
  constexpr int kMax = 10000;
  if (req.limit() < 0) return absl::InvalidArgumentError("limit: must be 0 (default) or positive");
  if (req.since_ms() < 0) return absl::InvalidArgumentError("since_ms: must not be negative");
  const size_t limit = static_cast<size_t>(req.limit() == 0 ? kMax : std::min(req.limit(), kMax));
  std::deque<v1::AuditEntry> kept;
  auto keep = [&](const v1::Record& r) {
    const v1::AuditEvent& e = r.audit();
    if (r.created().wall_ms() < req.since_ms()) return true;
    if (!req.sub().empty() && e.sub() != req.sub()) return true;
    v1::AuditEntry a;
    a.set_id(r.id());
    *a.mutable_at() = r.created();
    *a.mutable_event() = e;
    kept.push_back(std::move(a));
    if (kept.size() > limit) kept.pop_front();
    return true;
  };
  if (!req.patient_id().empty()) {
    // Through the audit index: the patient's events only, from since_ms on.
    ILP_RETURN_IF_ERROR(store.ForEachAuditOf(req.patient_id(), req.since_ms(), keep));
  } else {
    ILP_RETURN_IF_ERROR(store.ForEachAudit(keep));
  }
  std::sort(kept.begin(), kept.end(), [](const v1::AuditEntry& x, const v1::AuditEntry& y) {
    return StampLess(x.at(), y.at());
  });
  v1::ListAuditResponse out;
  for (v1::AuditEntry& a : kept) *out.add_events() = std::move(a);
  return out;
}

}  // namespace ilp
