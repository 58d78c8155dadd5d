// Seeded generator of CRDT deltas for one record, for law and simulation tests.
// Every generated write has a unique stamp, and one stamp always carries the
// same content, as with real nodes.
#ifndef ILP_TESTS_MERGE_RECORD_GEN_H_
#define ILP_TESTS_MERGE_RECORD_GEN_H_

#include <random>
#include <string>
#include <vector>

#include "ilp/v1/state.pb.h"

namespace ilp::testing {

class RecordGen {
 public:
  explicit RecordGen(uint64_t seed) : rng_(seed) {}

  // A pool of `n` deltas for record `id` of a random kind: the create plus
  // field edits, set adds/removes, error marks or lifecycle moves; for
  // encounters and referrals also external ids.
  std::vector<v1::Record> Deltas(const std::string& id, int n);

  // The merge of a random non-empty subset of `pool` (a reachable state).
  v1::Record RandomState(const std::vector<v1::Record>& pool);

  std::mt19937_64& rng() { return rng_; }

 private:
  v1::Stamp NextStamp();
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::mt19937_64 rng_;
  uint32_t counter_ = 0;
};

}  // namespace ilp::testing

#endif  // ILP_TESTS_MERGE_RECORD_GEN_H_
