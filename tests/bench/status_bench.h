// ilp-bench --status-backlog N: what `ilpctl status` and a metrics scrape
// cost with N changes pending for the parent (docs/performance.md,
// "Operator calls").
#ifndef ILP_TESTS_BENCH_STATUS_BENCH_H_
#define ILP_TESTS_BENCH_STATUS_BENCH_H_

#include <cstdint>
#include <string>

namespace ilp::bench {

// Writes `n` local changes into a store under `work_dir` whose parent has
// acknowledged none, then times status calls. Prints a table and one JSON
// line; returns the process exit code.
int RunStatusBacklog(uint64_t n, const std::string& work_dir);

}  // namespace ilp::bench

#endif  // ILP_TESTS_BENCH_STATUS_BENCH_H_
