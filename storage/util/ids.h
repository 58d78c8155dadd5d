// Record ids: UUIDv7 (RFC 9562) text, generated offline at the origin. The
// 48-bit millisecond prefix makes ids sort by creation time.
#ifndef ILP_STORAGE_UTIL_IDS_H_
#define ILP_STORAGE_UTIL_IDS_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "storage/util/random.h"

namespace ilp {

// Returns a new lowercase UUIDv7 string for time `unix_ms`, with all 74
// bits after the time random (the form a client that makes its own ids
// would use).
std::string NewUuidV7(int64_t unix_ms, Random* random);

// The ids a node makes: UUIDv7 whose 74 bits after the time are not drawn
// afresh for every id but are a 42-bit tag drawn once per generator and a
// 32-bit counter (RFC 9562, section 6.2, allows counter bits in place of
// random ones):
//
//   bytes 0-5   unix_ms, big-endian (never below the last id's: a clock that
//               steps back does not reorder this generator's ids)
//   bytes 6-11  version 7, variant 10 and the tag
//   bytes 12-15 the counter, big-endian, from a random start, +1 per id; a
//               wrap moves the time on by 1 ms
//
// So one generator's ids are unique and sort in the order made, and two
// generators' ids collide only if their 42-bit tags, times and counters all
// do. Consecutive ids differ in a byte or two, which zstd turns into about
// 3 bytes an id on the wire instead of about 11 (docs/performance.md).
// The ids are not secrets: they show when a record was made and, between
// two of one node's ids, how many it made. Thread-safe.
class UuidV7Generator {
 public:
  // Draws the tag and the counter's start from `random`.
  explicit UuidV7Generator(Random* random);
  UuidV7Generator(const UuidV7Generator&) = delete;
  UuidV7Generator& operator=(const UuidV7Generator&) = delete;

  std::string Next(int64_t unix_ms);

 private:
  absl::Mutex mu_;
  uint64_t tag_ ABSL_GUARDED_BY(mu_);  // 42 bits
  uint32_t counter_ ABSL_GUARDED_BY(mu_);
  int64_t last_ms_ ABSL_GUARDED_BY(mu_) = 0;
};

// True if `id` is a lowercase RFC 9562 UUID string (any version).
bool IsValidUuid(absl::string_view id);

}  // namespace ilp

#endif  // ILP_STORAGE_UTIL_IDS_H_
