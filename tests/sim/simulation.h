// One seed of the district simulation: a fault phase (users writing at every
// tier while links come and go, sessions are cut, nodes lose power and
// clocks are wrong), then a healing phase in which every link comes up until
// nothing moves, then the invariants (invariants.h). Everything random comes
// from the seed, and only one thing runs at a time, so a seed replays
// exactly: the same seed gives the same digest of every store.
//
//   SimResult r = RunSeed({.seed = 7, .size = *SizeByName("small")});
//   if (!r.failures.empty()) std::puts(r.Replay().c_str());
#ifndef ILP_TESTS_SIM_SIMULATION_H_
#define ILP_TESTS_SIM_SIMULATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tests/sim/district.h"

namespace ilp::sim {

struct SimOptions {
  uint64_t seed = 1;
  std::string size_name = "small";
  DistrictSize size;
  int fault_days = 14;
  uint32_t max_batch_bytes = 4096;  // small, so sessions have many batches to cut between
  bool trace = false;               // print every session, crash and clock change
};

struct SimResult {
  SimOptions options;
  std::vector<std::string> failures;
  uint64_t digest = 0;
  double seconds = 0;
  int nodes = 0, sessions = 0, cuts = 0, crashes = 0, clock_faults = 0, heal_rounds = 0;
  uint64_t dropped_bytes = 0;  // unsynced bytes lost in crashes
  int acked_records = 0, referral_moves = 0, links = 0;
  uint64_t quarantined = 0;  // deltas a parent refused (e.g. edits of a patient who moved away)
  int held = 0;              // acknowledged records held in a quarantine, short of the district
  std::vector<std::string> held_reasons;  // the first few quarantine reasons
  std::string calls;                      // API calls by result
  // One line: the seed, its counts and its digest.
  std::string Summary() const;
  // The command that replays this seed.
  std::string Replay() const;
};

SimResult RunSeed(const SimOptions& options);

}  // namespace ilp::sim

#endif  // ILP_TESTS_SIM_SIMULATION_H_
