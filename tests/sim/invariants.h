// The invariants of a simulated district, checked as the seed runs and at its
// end. Each violation is kept as one line naming the node and record.
//
//   during: cursors and referral states never go backwards (after every
//           session and restart, and in daily sweeps); re-applying every
//           batch a session delivered changes nothing; after a restart the
//           store verifies and holds every write acknowledged there.
//   end:    no acknowledged write or referral move is lost (all reach the
//           district); every node holds exactly the district's bytes of each
//           record in its scope (so any two nodes agree on what they share);
//           no node holds a record outside its scope, except its own writes
//           and records of a patient who once lived in its area; Verify
//           passes everywhere.
#ifndef ILP_TESTS_SIM_INVARIANTS_H_
#define ILP_TESTS_SIM_INVARIANTS_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/sim/district.h"
#include "tests/sim/memory_link.h"
#include "tests/sim/workload.h"

namespace ilp::sim {

class Checker {
 public:
  Checker(District* d, const Oracle* o) : d_(d), o_(o) {}

  // After a session of child `c`; `parent_quarantine_before` is the parent's
  // QuarantineCount() before it.
  void AfterSession(int c, const SessionResult& r, uint64_t parent_quarantine_before);
  void AfterRestart(int i);
  // Cursors everywhere; each referral at its referrer and the referrer's ancestors.
  void Sweep();
  // The end-of-seed checks; also computes Digest().
  void AtEnd();

  // FNV-1a over every node's records and cursors, after AtEnd().
  uint64_t digest() const { return digest_; }
  // Deltas quarantined at all nodes.
  uint64_t quarantined() const;
  // Acknowledged records held in a quarantine (not at the district in full),
  // and the first few reasons, after AtEnd().
  int held_acked() const { return held_acked_; }
  const std::vector<std::string>& held_reasons() const { return held_reasons_; }
  const std::vector<std::string>& failures() const { return failures_; }
  void Fail(std::string what);

 private:
  void CheckCursors(int i);
  void CheckReferral(int i, const std::string& id);
  void Reapply(int receiver, const std::string& from, const std::vector<v1::Batch>& batches,
               const std::set<std::string>& quarantined);
  // Whether record `r` (as the district holds it) belongs at node `i`;
  // `ever`: also by a village the patient once had.
  bool Belongs(int i, const v1::Record& r, bool ever) const;

  District* d_;
  const Oracle* o_;
  std::map<std::pair<int, std::string>, uint64_t> cursor_;  // highest seen
  std::map<std::pair<int, std::string>, int> rank_;         // referral state seen
  // Node -> bytes of every delta it quarantined (a delta refused again is
  // not stored twice, so a session's new entries are not enough).
  std::map<int, std::set<std::string>> quarantined_;
  // The district's view at the end: patient -> village, referral -> from/to.
  std::map<std::string, std::string> village_;
  std::map<std::string, std::pair<std::string, std::string>> referral_;
  std::vector<std::string> failures_;
  uint64_t digest_ = 0;
  int held_acked_ = 0;
  std::vector<std::string> held_reasons_;
};

}  // namespace ilp::sim

#endif  // ILP_TESTS_SIM_INVARIANTS_H_
