// Records API: follow-up tasks.
#include "services/records/records_core.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "services/records/records_internal.h"
#include "services/records/validate.h"
#include "storage/merge/field_path.h"
#include "storage/merge/lifecycle.h"
#include "storage/merge/merge.h"
#include "storage/merge/stamp.h"
#include "storage/merge/view.h"
#include "storage/store/keys.h"
#include "storage/util/ids.h"
#include "storage/util/status_macros.h"

namespace ilp {

using records_internal::GetIfPresent;
using v1::Record;

absl::StatusOr<v1::Task> RecordsCore::UpdateTaskUnacked(const v1::UpdateTaskRequest& req, WriteAudit* audit) {
  ILP_RETURN_IF_ERROR(ValidateId(req.id(), "id", false));
  ILP_RETURN_IF_ERROR(
      CheckKnownEnum("to_state", req.to_state(), v1::TaskState_IsValid(req.to_state())));
  if (req.to_state() == v1::TASK_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError("to_state: must be a task state other than unspecified");
  }
  if (req.to_state() == v1::TASK_COMPLETED && req.note().empty()) {
    return absl::InvalidArgumentError("note: an outcome is required to complete a task");
  }
  if (req.note().size() > 2000) return absl::InvalidArgumentError("note: must be at most 2000 bytes");
  absl::MutexLock l(&mu_);
  ILP_ASSIGN_OR_RETURN(Record cur, Load(req.id(), Record::kTask, "task"));
  const v1::Move* win = WinningMove(cur.moves());
  const auto from = win ? static_cast<v1::TaskState>(win->to_state()) : v1::OPEN;
  if (!TaskTransitionAllowed(from, req.to_state())) {
    return absl::FailedPreconditionError(absl::StrCat("task ", req.id(), " is ",
                                                      v1::TaskState_Name(from), "; it cannot move to ",
                                                      v1::TaskState_Name(req.to_state())));
  }
  ILP_ASSIGN_OR_RETURN(Record after, CommitMove(cur, req.to_state(), req.note(), audit));
  return TaskView(after);
}

absl::StatusOr<v1::ListTasksResponse> RecordsCore::ListTasks(const v1::ListTasksRequest& req) const {
  const std::string node = req.node().empty() ? node_id() : req.node();
  ILP_RETURN_IF_ERROR(ValidateNodeId(node, "node"));
  v1::ListTasksResponse out;
  ILP_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                       store_->ScanIndex(IndexKey('t', {node, ""}), SIZE_MAX));
  for (const std::string& id : ids) {
    ILP_ASSIGN_OR_RETURN(std::optional<Record> r, GetIfPresent(*store_, id));
    if (!r || !r->has_task()) continue;
    v1::Task t = TaskView(*r);
    if (!req.include_closed() && TaskStateIsTerminal(t.state())) continue;
    *out.add_tasks() = std::move(t);
  }
  return out;
}


}  // namespace ilp
