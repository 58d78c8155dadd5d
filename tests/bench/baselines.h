// What ilp-bench compares the chain against, measured in the same run.
#ifndef ILP_TESTS_BENCH_BASELINES_H_
#define ILP_TESTS_BENCH_BASELINES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace ilp::bench {

struct VisitSizes {
  uint64_t proto_bytes = 0;  // the visits as the API's RecordEncounterRequest, serialized
  uint64_t zstd_bytes = 0;   // the same, zstd level 3 in 256 KiB chunks (our batch bound)
};
// The N visits (the same seed and patients as the run), serialized and compressed.
VisitSizes MeasureVisitSizes(uint64_t seed, uint64_t n, uint64_t patients);

// Raw RocksDB: N values of `value_bytes` each (the serialized visits), in
// WriteBatches of 1,000 with the WAL fsynced per batch, as the store does.
// Returns values per second.
absl::StatusOr<double> RawRocksDbRate(const std::string& dir, uint64_t seed, uint64_t n,
                                      uint64_t patients);

struct ApplyRate {
  double visits_per_s = 0;
  double changes_per_s = 0;
  uint64_t changes = 0;
  // The same changes as stored records (deltas), serialized, and zstd level 3
  // in 256 KiB chunks: what a hop must carry at least, ids and stamps included.
  uint64_t record_bytes = 0;
  uint64_t record_zstd_bytes = 0;
};
// Re-applies the posyandu's whole change log (a stopped node's store in
// `source_dir`) into a fresh store in `dir`, as a receiving tier does: batches
// of about 1,000 visits, one fsynced Apply each. Only Apply is timed. Also
// measures the changes' serialized and compressed size.
absl::StatusOr<ApplyRate> ApplyRateFrom(const std::string& source_dir, const std::string& dir,
                                        uint64_t visits);

}  // namespace ilp::bench

#endif  // ILP_TESTS_BENCH_BASELINES_H_
