// Injectable randomness. Production uses libsodium's CSPRNG; tests use a
// seeded generator so a run replays exactly.
#ifndef ILP_STORAGE_UTIL_RANDOM_H_
#define ILP_STORAGE_UTIL_RANDOM_H_

#include <cstdint>
#include <memory>
#include <random>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ilp {

class Random {
 public:
  virtual ~Random() = default;
  // Returns 64 uniformly random bits. Thread-safe.
  virtual uint64_t Next64() = 0;
};

// Cryptographically secure randomness from libsodium (randombytes_buf).
std::unique_ptr<Random> NewSystemRandom();

// Deterministic randomness for tests and simulations.
class SeededRandom : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : gen_(seed) {}
  uint64_t Next64() override {
    absl::MutexLock l(&mu_);
    return gen_();
  }

 private:
  absl::Mutex mu_;
  std::mt19937_64 gen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ilp

#endif  // ILP_STORAGE_UTIL_RANDOM_H_
