// Reading the audit trail a node holds (Admin.ListAudit, `ilpctl audit`).
#ifndef ILP_SERVICES_AUDIT_AUDIT_QUERY_H_
#define ILP_SERVICES_AUDIT_AUDIT_QUERY_H_

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "ilp/v1/admin.pb.h"
#include "storage/store/store.h"

namespace ilp {

// The events matching `req`, oldest first; INVALID_ARGUMENT naming a bad
// filter. With a patient id it reads that patient's events through the audit
// index; otherwise it scans the trail whole.
ABSL_MUST_USE_RESULT absl::StatusOr<v1::ListAuditResponse> ListAuditEvents(
    const Store& store, const v1::ListAuditRequest& req);

}  // namespace ilp

#endif  // ILP_SERVICES_AUDIT_AUDIT_QUERY_H_
