// Record ids: UUIDv7 (RFC 9562) text, generated offline at the origin. The
// 48-bit millisecond prefix makes ids sort by creation time.
#ifndef ILP_STORAGE_UTIL_IDS_H_
#define ILP_STORAGE_UTIL_IDS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "storage/util/random.h"

namespace ilp {

// Returns a new lowercase UUIDv7 string for time `unix_ms`.
std::string NewUuidV7(int64_t unix_ms, Random* random);

// True if `id` is a lowercase RFC 9562 UUID string (any version).
bool IsValidUuid(absl::string_view id);

}  // namespace ilp

#endif  // ILP_STORAGE_UTIL_IDS_H_
