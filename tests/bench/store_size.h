// What a node's store takes on disk once compacted (docs/performance.md, "Disk").
#ifndef ILP_TESTS_BENCH_STORE_SIZE_H_
#define ILP_TESTS_BENCH_STORE_SIZE_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace ilp::bench {

// Opens the stopped node's store in `dir` with the options it last ran with
// (its OPTIONS file, so the same table format and filters), compacts every
// column family down to its last level, and returns each column family's SST
// bytes by name.
absl::StatusOr<std::map<std::string, uint64_t>> CompactedSstBytes(const std::string& dir);

}  // namespace ilp::bench

#endif  // ILP_TESTS_BENCH_STORE_SIZE_H_
