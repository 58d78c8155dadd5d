#include "storage/merge/lifecycle.h"

#include "storage/merge/stamp.h"

namespace ilp {

const v1::Move* WinningMove(const google::protobuf::RepeatedPtrField<v1::Move>& moves) {
  const v1::Move* best = nullptr;
  for (const v1::Move& m : moves) {
    if (best == nullptr || m.to_state() > best->to_state() ||
        (m.to_state() == best->to_state() && StampLess(best->stamp(), m.stamp()))) {
      best = &m;
    }
  }
  return best;
}

bool ReferralStateIsTerminal(int s) {
  return s == v1::REJECTED || s == v1::CANCELLED || s == v1::COMPLETED;
}

bool TaskStateIsTerminal(int s) { return s == v1::TASK_CANCELLED || s == v1::TASK_COMPLETED; }

bool ReferralTransitionAllowed(v1::ReferralState from, v1::ReferralState to) {
  switch (from) {
    case v1::SENT:
      return to == v1::RECEIVED || to == v1::ACCEPTED || to == v1::REJECTED ||
             to == v1::CANCELLED;
    case v1::RECEIVED:
      return to == v1::ACCEPTED || to == v1::REJECTED || to == v1::CANCELLED;
    case v1::ACCEPTED:
      return to == v1::COMPLETED || to == v1::CANCELLED;
    default:
      return false;
  }
}

bool TaskTransitionAllowed(v1::TaskState from, v1::TaskState to) {
  switch (from) {
    case v1::OPEN:
      return to == v1::IN_PROGRESS || to == v1::TASK_CANCELLED || to == v1::TASK_COMPLETED;
    case v1::IN_PROGRESS:
      return to == v1::TASK_CANCELLED || to == v1::TASK_COMPLETED;
    default:
      return false;
  }
}

void FillHistory(const google::protobuf::RepeatedPtrField<v1::Move>& moves,
                 bool (*terminal)(int state),
                 google::protobuf::RepeatedPtrField<v1::Transition>* history) {
  const v1::Move* win = WinningMove(moves);
  history->Clear();
  for (const v1::Move& m : moves) {  // moves are kept in stamp order (Canonicalize)
    v1::Transition* t = history->Add();
    t->set_to_state(m.to_state());
    t->set_time_ms(m.stamp().wall_ms());
    t->set_node(m.stamp().node());
    t->set_note(m.note());
    t->set_superseded(&m != win && terminal(m.to_state()));
  }
}

}  // namespace ilp
