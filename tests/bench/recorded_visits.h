// Visits as a tier's change log holds them, made by the Records API itself.
#ifndef ILP_TESTS_BENCH_RECORDED_VISITS_H_
#define ILP_TESTS_BENCH_RECORDED_VISITS_H_

#include <vector>

#include "ilp/v1/state.pb.h"

namespace ilp::bench {

// The deltas of `visits` visits (encounter + 3-5 observations each) of 20
// patients, as the posyandu's change log holds them (the patients' own
// records excluded).
std::vector<v1::Record> RecordedVisits(int visits);

}  // namespace ilp::bench

#endif  // ILP_TESTS_BENCH_RECORDED_VISITS_H_
