// What a parent accepts from a child: a pure function over one incoming
// delta, the parent's stored state of that record and what the parent trusts
// about the child. A refused delta is quarantined by the caller (kept in the
// store with the returned status message as its reason), never merged, and never
// stops the rest of its batch. The rules (docs/replication.md, "What a parent
// accepts from a child"), checked in this order:
//
//   content     the delta passes ValidateRecord (the Records API's rules),
//               dates up to kSyncFutureSlackMs ahead          INVALID_ARGUMENT
//   kind        a delta cannot change the kind of a stored record  INVALID_ARGUMENT
//   time        no stamp's anchor_ms lies beyond now + max_skew: an anchor is
//               trusted time learned from above and can never be in the
//               receiver's future (a wall_ms far ahead is legitimate)  INVALID_ARGUMENT
//   authorship  every writing stamp (created, error, moves, external ids,
//               field versions, element value stamps and adds) was issued by the child or a
//               node in its believed subtree                  PERMISSION_DENIED
//   scope       a stored patient living outside the child's area and not
//               registered by its subtree cannot be edited or moved by it
//                                                             PERMISSION_DENIED
//
// Example (in the parent's batch loop):
//   ChildTrust t{child, writers, child_area, trusted_now_ms, max_clock_skew_ms};
//   absl::Status ok = AdmitFromChild(delta, stored_or_null, t);
//   if (!ok.ok()) { /* req.quarantine gets {child, id, kind, ok.message(), bytes} */ }
#ifndef ILP_SERVICES_REPLICATION_ADMISSION_H_
#define ILP_SERVICES_REPLICATION_ADMISSION_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ilp/v1/state.pb.h"

namespace ilp {

struct ChildTrust {
  std::string child_id;                 // authenticated child
  std::set<std::string> writers;        // the child and its believed subtree
  std::vector<std::string> area;        // the child's configured working_area prefixes
  int64_t now_ms = 0;                   // receiver's trusted now
  int64_t max_skew_ms = 300000;         // the receiver's max_clock_skew
};

// OK if the parent may apply `delta` from the child; otherwise
// PERMISSION_DENIED or INVALID_ARGUMENT whose message starts with the rule
// ("content: ", "kind: ", "time: ", "authorship: ", "scope: ") and names the
// field; that text is the quarantine reason. `stored` is the parent's current
// state of the record, or nullptr if it has none. The child itself counts as
// a writer even if `trust.writers` omits it.
ABSL_MUST_USE_RESULT absl::Status AdmitFromChild(const v1::Record& delta, const v1::Record* stored,
                            const ChildTrust& trust);

// The part of a quarantine reason that may go to a log: the rule and the
// field ("content: patient.identifiers[0].value"). The rest can quote the
// refused value, which may be a NIK or a name; `ilpctl quarantine` shows the
// whole reason to an operator.
std::string ReasonForLog(absl::string_view reason);

// What a parent knows of the tree around it when a child claims a subtree.
struct KnownTopology {
  std::string self_id;                                   // this node
  std::string parent_id;                                 // its parent; "" at the root
  std::vector<std::string> children;                     // configured children (the claimant too)
  std::map<std::string, std::set<std::string>> believed; // other children -> subtrees believed already
};

// The subtree `child_id` claims (Hello.subtree), minus what cannot be true:
// this node, its parent, any configured child (the claimant included: a node
// is not in its own subtree), a node another child's believed subtree already
// holds, and ids that are not valid node ids. Returns the believed set (child
// excluded); appends each refused claim to *refused (if not null) as
// "<id>: <why>". Claims are judged in order; duplicates are ignored.
std::set<std::string> BelievedSubtree(const std::string& child_id,
                                      const std::vector<std::string>& claimed,
                                      const KnownTopology& topology,
                                      std::vector<std::string>* refused);

}  // namespace ilp

#endif  // ILP_SERVICES_REPLICATION_ADMISSION_H_
