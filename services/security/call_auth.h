// The gRPC side of the access gate (services/auth/gate.h): reads the
// `authorization` header and the verified client certificate of a call and
// asks the gate. Every Records and Admin handler goes through AdmitCall,
// before any core runs.
#ifndef ILP_SERVICES_SECURITY_CALL_AUTH_H_
#define ILP_SERVICES_SECURITY_CALL_AUTH_H_

#include <grpcpp/server_context.h>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/auth/gate.h"

namespace ilp {

// The caller of `rpc` ("Records.GetPatient"), or the gate's refusal.
ABSL_MUST_USE_RESULT absl::StatusOr<auth::Caller> AdmitCall(const auth::AccessGate& gate, const grpc::ServerContext& ctx,
                                       absl::string_view rpc);

}  // namespace ilp

#endif  // ILP_SERVICES_SECURITY_CALL_AUTH_H_
