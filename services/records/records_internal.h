// Helpers the Records API's files share (records_core.cc defines them).
#ifndef ILP_SERVICES_RECORDS_RECORDS_INTERNAL_H_
#define ILP_SERVICES_RECORDS_RECORDS_INTERNAL_H_

#include <optional>
#include <string>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "ilp/v1/state.pb.h"
#include "storage/store/store.h"

namespace ilp::records_internal {

// The record `id`, or nullopt when the store does not hold it. Only NOT_FOUND
// means absent: an I/O error or a record that does not parse is returned.
ABSL_MUST_USE_RESULT absl::StatusOr<std::optional<v1::Record>> GetIfPresent(const Store& store,
                                                                           const std::string& id);

// BLAKE2b-256 of the deterministic encoding of `m` (a create request's digest).
std::string Digest(const google::protobuf::Message& m);

// What a record stores of its create request's Digest: the first 16 bytes
// (128 bits: a repeat with other content cannot match by chance, and every
// record of a visit is 16 bytes shorter on every hop and disk). Records
// created before 2026-12-07 store all 32.
inline constexpr size_t kStoredDigestBytes = 16;
std::string StoredDigest(const std::string& digest);

// True if `stored` (a record's create_digest, either length) is of `digest`.
bool DigestMatches(const std::string& stored, const std::string& digest);

// ALREADY_EXISTS: `what` `id` was created with other content.
ABSL_MUST_USE_RESULT absl::Status AlreadyExists(const char* what, const std::string& id);

}  // namespace ilp::records_internal

#endif  // ILP_SERVICES_RECORDS_RECORDS_INTERNAL_H_
