// Referral and task state machines. A state is the set of moves made; the
// current state is the move of the highest lifecycle rank (ties by stamp), so
// a race resolves to the later state (completed beats cancelled) and every
// losing move stays in the history.
//
// Ranks are the enum numbers:
//   referral: SENT < RECEIVED < ACCEPTED < REJECTED < CANCELLED < COMPLETED
//   task:     OPEN < IN_PROGRESS < TASK_CANCELLED < TASK_COMPLETED
#ifndef ILP_STORAGE_MERGE_LIFECYCLE_H_
#define ILP_STORAGE_MERGE_LIFECYCLE_H_

#include "google/protobuf/repeated_field.h"
#include "ilp/v1/records.pb.h"
#include "ilp/v1/state.pb.h"

namespace ilp {

// The winning move, or nullptr if there are none.
const v1::Move* WinningMove(const google::protobuf::RepeatedPtrField<v1::Move>& moves);

// True if a node holding `from` may move a referral to `to`.
bool ReferralTransitionAllowed(v1::ReferralState from, v1::ReferralState to);

// True if a node holding `from` may move a task to `to`.
bool TaskTransitionAllowed(v1::TaskState from, v1::TaskState to);

// Fills `history` from moves in stamp order; a terminal move that lost is
// flagged superseded. `terminal(state)` says which states end the lifecycle.
void FillHistory(const google::protobuf::RepeatedPtrField<v1::Move>& moves,
                 bool (*terminal)(int state),
                 google::protobuf::RepeatedPtrField<v1::Transition>* history);

bool ReferralStateIsTerminal(int state);
bool TaskStateIsTerminal(int state);

}  // namespace ilp

#endif  // ILP_STORAGE_MERGE_LIFECYCLE_H_
