// What ilp-bench compares the chain against, measured in the same run.
#ifndef ILP_TESTS_BENCH_BASELINES_H_
#define ILP_TESTS_BENCH_BASELINES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ilp::bench {

struct VisitSizes {
  uint64_t proto_bytes = 0;  // the visits as the API's RecordEncounterRequest, serialized
  uint64_t zstd_bytes = 0;   // the same, zstd level 3 in 256 KiB chunks (our batch bound)
};
// The N visits (the same seed and patients as the run), serialized and compressed.
VisitSizes MeasureVisitSizes(uint64_t seed, uint64_t n, uint64_t patients);

struct ApplyRate {
  double visits_per_s = 0;
  double changes_per_s = 0;
  uint64_t changes = 0;
  // The receiving store's head after each Apply: the batches, by seq.
  std::vector<uint64_t> batch_ends;
  // The same changes as stored records (deltas), serialized, and zstd level 3
  // in 256 KiB chunks: what a hop must carry at least, ids and stamps included.
  uint64_t record_bytes = 0;
  uint64_t record_zstd_bytes = 0;
  uint64_t record_columnar_zstd_bytes = 0;  // the same in the columnar batch encoding
};
// Re-applies the posyandu's whole change log (a stopped node's store in
// `source_dir`) into a fresh store in `dir`, as a receiving tier does: batches
// of about 1,000 visits, one fsynced Apply each. Only Apply is timed. Also
// measures the changes' serialized and compressed size.
absl::StatusOr<ApplyRate> ApplyRateFrom(const std::string& source_dir, const std::string& dir,
                                        uint64_t visits);

// Raw RocksDB writing the very key-values Apply wrote into the store in
// `applied_dir` (closed), batch by batch as `rate.batch_ends` cut them: each
// batch's change-log entries, the record (or audit event) states, their index
// entries and the kept counts, into the same column families of a fresh
// RocksDB in `dir` with default options, the WAL fsynced per batch. The
// key-values are read and built outside the timed part; only the writes are
// timed. Returns changes per second: Apply's storage limit.
absl::StatusOr<double> SameKvRawRate(const std::string& applied_dir, const ApplyRate& rate,
                                     const std::string& dir);

}  // namespace ilp::bench

#endif  // ILP_TESTS_BENCH_BASELINES_H_
