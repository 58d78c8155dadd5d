// The users of a simulated district: kader, nurses and programme staff
// calling the Records API at their own node, and the oracle of everything
// the API acknowledged, which the invariants (invariants.h) check against.
#ifndef ILP_TESTS_SIM_WORKLOAD_H_
#define ILP_TESTS_SIM_WORKLOAD_H_

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tests/sim/district.h"

namespace ilp::sim {

// What the API acknowledged, so nothing of it may be lost.
struct Oracle {
  std::map<std::string, int> origin;                           // record id -> node that wrote it
  std::map<std::string, std::set<std::string>> villages;       // patient id -> every village given
  std::map<std::string, std::vector<std::string>> by_village;  // village -> patients ever there
  std::vector<std::string> referrals;                          // referral ids
  struct Move {
    std::string referral;
    int node = 0;
    int to_state = 0;
  };
  std::vector<Move> moves;  // acknowledged referral transitions
  // Registrations of one person at a posyandu and at its Puskesmas, to be
  // linked at the district once both reached it: (duplicate, survivor).
  std::vector<std::pair<std::string, std::string>> unlinked;
  int links = 0;
  std::map<std::string, int> calls;  // "<op> <status code>" -> count
};

class Workload {
 public:
  // All pointers must outlive the workload.
  Workload(District* d, Oracle* o, std::mt19937_64* rng);

  // One API call by a user at a random node (posyandu most often). An
  // expected refusal (a transition the state machine forbids, a record not
  // there yet) is counted; any other error is returned.
  absl::Status Step();

  // Links, at the district, the duplicates whose both records reached it.
  absl::Status LinkDuplicates();

 private:
  uint64_t Draw(uint64_t n) { return (*rng_)() % n; }
  int PickNode();
  // A patient that node `n` holds and that lives in its area, or "".
  std::string PickPatient(int n);
  absl::Status Count(const char* op, const absl::Status& s);

  absl::Status Register(int n);
  absl::Status Duplicate();
  absl::Status Visit(int n);
  absl::Status MovePatient(int n);
  absl::Status Refer(int n);
  absl::Status Transition();

  District* d_;
  Oracle* o_;
  std::mt19937_64* rng_;
  std::map<std::string, int> index_;  // node id -> index
  int serial_ = 0;
};

}  // namespace ilp::sim

#endif  // ILP_TESTS_SIM_WORKLOAD_H_
