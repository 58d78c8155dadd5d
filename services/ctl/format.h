// ilpctl's shared plumbing: the connection, output helpers (ages, sizes,
// JSON) and exit codes.
#ifndef ILP_SERVICES_CTL_FORMAT_H_
#define ILP_SERVICES_CTL_FORMAT_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "google/protobuf/message.h"

namespace ilp::ctl {

// kCutShort: a bundle copy ended early; its whole batches were applied.
enum Exit { kOk = 0, kError = 1, kUsage = 2, kUnreachable = 3, kUnhealthy = 4, kCutShort = 5 };

struct Ctl {
  std::shared_ptr<grpc::Channel> channel;
  bool json = false;
  int timeout_s = 10;
  // --ca (or ILPCTL_CA), for offline checks such as `bundle inspect`.
  std::string ca_file;
  // App token; when set, every call carries "authorization: Bearer <token>".
  std::string token;
  // A context with the per-call deadline (none if seconds <= 0).
  std::unique_ptr<grpc::ClientContext> Ctx(int seconds) const;
  std::unique_ptr<grpc::ClientContext> Ctx() const { return Ctx(timeout_s); }
};

// One-line JSON with proto field names and every field, zeros included.
std::string Json(const google::protobuf::Message& m);

// Prints the failed call and returns 3 if the node could not be reached, else 1.
int Fail(const grpc::Status& s);

// "42s", "5m", "3h12m", "8d4h"; "never" for a negative age.
std::string Age(int64_t ms);
// "812 B", "12.4 KiB", "3.1 MiB", "1.2 GiB".
std::string Bytes(uint64_t n);
// A node-local epoch ms as "2026-11-23 10:01:02" (UTC); "-" for 0.
std::string Time(int64_t ms);

// "7d", "36h", "90m", "45s" (or any absl duration such as "1h30m") -> ms.
std::optional<int64_t> ParseAge(const std::string& s);

}  // namespace ilp::ctl

#endif  // ILP_SERVICES_CTL_FORMAT_H_
