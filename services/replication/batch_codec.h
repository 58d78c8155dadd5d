// The payload of a sync Batch: a zstd-compressed ChangeList, as protobuf or
// in columns (columnar.h), as Batch.encoding says. Decompression
// never trusts the frame header: it streams into a buffer that may not grow
// past a cap, and all sessions of a node draw that memory from one budget,
// so a few small "decompression bombs" cannot exhaust the node.
#ifndef ILP_SERVICES_REPLICATION_BATCH_CODEC_H_
#define ILP_SERVICES_REPLICATION_BATCH_CODEC_H_

#include <cstddef>
#include <string>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ilp/v1/sync.pb.h"
#include "storage/util/steady_wait.h"

namespace ilp {

// Room for one record larger than a batch: a batch is cut after the record
// that crosses max_batch_bytes, and a moved patient goes whole.
inline constexpr size_t kBatchRecordAllowance = 4u << 20;

// zstd level 3. Returns INTERNAL if zstd fails (it does not on valid input).
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> CompressPayload(const std::string& raw);

// Bytes that all concurrent decompressions of a node may hold at once.
class DecompressionBudget {
 public:
  explicit DecompressionBudget(size_t bytes) : free_(bytes) {}
  // Reserves `n` bytes, waiting up to `wait`; RESOURCE_EXHAUSTED after that.
  ABSL_MUST_USE_RESULT absl::Status Acquire(size_t n, absl::Duration wait);
  void Release(size_t n);

 private:
  absl::Mutex mu_;
  SteadyCondVar freed_;  // signalled when free_ grows
  size_t free_ ABSL_GUARDED_BY(mu_);
};

// Decompresses `z`, refusing output beyond `cap` bytes (INVALID_ARGUMENT,
// naming the cap: a protocol violation, not retried) and a malformed frame
// (INVALID_ARGUMENT). The memory is reserved from `budget` (may be null)
// for the duration of the call.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> DecompressPayload(const std::string& z, size_t cap,
                                              DecompressionBudget* budget);

// Sets `batch`'s payload and encoding to `list` in `encoding`. An empty list,
// and one the columnar encoding cannot carry exactly, go as protobuf.
ABSL_MUST_USE_RESULT absl::Status EncodeBatchPayload(const v1::ChangeList& list,
                                                     v1::BatchEncoding encoding, v1::Batch* batch);

// The ChangeList of `batch`, in either encoding: DecompressPayload's checks
// and budget, then the records, at most `cap` bytes in all. INVALID_ARGUMENT
// for anything malformed, naming the field.
ABSL_MUST_USE_RESULT absl::StatusOr<v1::ChangeList> DecodeBatchPayload(const v1::Batch& batch,
                                                                       size_t cap,
                                                                       DecompressionBudget* budget);

}  // namespace ilp

#endif  // ILP_SERVICES_REPLICATION_BATCH_CODEC_H_
