// Samples each chain node's memory (Admin.GetStatus: resident set and the
// store's parts) while a benchmark runs, and keeps the sample taken at each
// node's highest resident set, so a peak can be apportioned: how much was the
// store's block cache (charged with the memtables), how much the rest.
#ifndef ILP_TESTS_BENCH_MEMORY_SAMPLER_H_
#define ILP_TESTS_BENCH_MEMORY_SAMPLER_H_

#include <array>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "ilp/v1/admin.pb.h"
#include "tests/bench/chain.h"

namespace ilp::bench {

class MemorySampler {
 public:
  // Starts sampling every `every`; stops when destroyed or by Stop().
  MemorySampler(Chain* chain, absl::Duration every);
  ~MemorySampler();
  void Stop();

  struct Peak {
    v1::StoreMemory at_peak;  // the sample with the highest resident set
    uint64_t max_memtables = 0;
    uint64_t max_block_cache = 0;
    int samples = 0;
  };
  Peak peak(int tier) const;
  // One line for a tier: resident at the sampled peak and its parts, in MiB.
  std::string Describe(int tier) const;

 private:
  void Run();

  Chain* chain_;
  absl::Duration every_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::array<Peak, 4> peaks_;
  std::thread thread_;
};

}  // namespace ilp::bench

#endif  // ILP_TESTS_BENCH_MEMORY_SAMPLER_H_
