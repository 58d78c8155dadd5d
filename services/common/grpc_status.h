// The one place where absl::Status becomes grpc::Status (the service edge).
// Codes map one-to-one; messages pass through unchanged.
#ifndef ILP_SERVICES_COMMON_GRPC_STATUS_H_
#define ILP_SERVICES_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ilp {

inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

ABSL_MUST_USE_RESULT inline absl::Status FromGrpcStatus(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

// Moves a StatusOr's value into *out and returns the gRPC status.
template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = std::move(result).value();
  return grpc::Status::OK;
}

}  // namespace ilp

#endif  // ILP_SERVICES_COMMON_GRPC_STATUS_H_
